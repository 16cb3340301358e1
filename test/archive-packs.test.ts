import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { type Archive, type ArchiveEntry, archiveKey } from "../src/archive/archive.js";
import { PACKS_FOLDER } from "../src/archive/file-archive.js";
import { openArchive } from "../src/archive/open-archive.js";
import type { KeptEvent } from "../src/core/event-recorder.js";
import { replay } from "../src/replay/replay.js";
import { keptEventFrom } from "./helpers/events.js";
import { makeEvent } from "./helpers/fixtures.js";
import { tempDir } from "./helpers/temp.js";

/** Two days, mixed signature algorithms, a multi-byte body and one with a newline inside. */
function sampleEvents(): KeptEvent[] {
  const events: KeptEvent[] = [];
  for (const [d, day] of ["2024-03-04", "2024-03-05"].entries()) {
    for (let i = 0; i < 4; i++) {
      events.push(
        keptEventFrom(
          makeEvent({ id: 7_900_000 + d * 100 + i }),
          `${day}T0${i}:00:00.00${i}Z`,
          i % 2 === 0 ? "sha1" : "sha256",
        ),
      );
    }
  }
  events.push(
    keptEventFrom(
      `{"id":7900200,"type":"/shipment#note",\n"note":"Café 中文 🚢"}`,
      "2024-03-05T23:59:59.999Z",
      null,
    ),
  );
  return events;
}

async function archiveOf(events: KeptEvent[]): Promise<{ dir: string; archive: Archive }> {
  const dir = tempDir("portcall-packs-");
  const archive = await openArchive(`file:${dir}`);
  for (const event of events) assert.equal(await archive.put(event), "created");
  return { dir, archive };
}

async function readAll(archive: Archive): Promise<ArchiveEntry[]> {
  const entries: ArchiveEntry[] = [];
  for await (const entry of archive.readAll?.({}) ?? archive.list({})) entries.push(entry);
  return entries;
}

/** What replay stores for each id: hash of the bytes, received_at, algorithm. */
async function replayed(archive: Archive) {
  const stored = new Map<string, string>();
  const summary = await replay({
    archive,
    store: {
      insertIfAbsent: async (event, receivedAt) => {
        if (stored.has(event.id)) return false;
        stored.set(event.id, `${event.payloadSha256} ${receivedAt.toISOString()} ${event.signatureAlg}`);
        return true;
      },
    },
  });
  return { summary, stored };
}

function expected(events: KeptEvent[]): Map<string, string> {
  return new Map(events.map((e) => [e.id, `${e.payloadSha256} ${e.receivedAt} ${e.signatureAlg}`]));
}

const packPath = (dir: string, day: string) => join(dir, PACKS_FOLDER, `dt=${day}.pack`);

describe("file: archive day packs", () => {
  it("put → one pack per day outside the dt= folders; readAll gives each object once with its exact bytes and metadata", async () => {
    const events = sampleEvents();
    const { dir, archive } = await archiveOf(events);
    // A redelivery is not appended again.
    assert.equal(await archive.put(events[0] as KeptEvent), "exists");
    assert.deepEqual(readdirSync(join(dir, PACKS_FOLDER)).sort(), [
      "dt=2024-03-04.pack",
      "dt=2024-03-05.pack",
    ]);
    assert.ok(readdirSync(join(dir, "dt=2024-03-04")).every((name) => !name.endsWith(".pack")));

    const entries = await readAll(archive);
    assert.deepEqual(entries.map((e) => e.key).sort(), events.map((e) => archiveKey(e)).sort());
    for (const entry of entries) {
      assert.ok(entry.payload !== undefined, entry.key);
      assert.deepEqual(Buffer.from(entry.payload), readFileSync(join(dir, entry.key)));
      assert.deepEqual(entry.metadata, (await archive.read(entry.key)).metadata);
    }
    const { summary, stored } = await replayed(archive);
    assert.deepEqual([summary.read, summary.inserted, summary.invalid], [events.length, events.length, 0]);
    assert.deepEqual(stored, expected(events));
  });

  it("an archive without packs (written before them) → readAll lists the objects, replay stores the same", async () => {
    const events = sampleEvents();
    const { dir, archive } = await archiveOf(events);
    rmSync(join(dir, PACKS_FOLDER), { recursive: true });
    const entries = await readAll(archive);
    assert.deepEqual(
      entries.map((e) => e.key),
      events.map((e) => archiveKey(e)).sort(),
    );
    assert.ok(entries.every((e) => e.payload === undefined));
    const { summary, stored } = await replayed(archive);
    assert.deepEqual([summary.inserted, summary.invalid, summary.withoutMetadata], [events.length, 0, 0]);
    assert.deepEqual(stored, expected(events));
  });

  it("a torn last record → that object read from its files, every event stored", async () => {
    const events = sampleEvents();
    const { dir, archive } = await archiveOf(events);
    const path = packPath(dir, "2024-03-05");
    truncateSync(path, readFileSync(path).length - 10);
    const entries = await readAll(archive);
    const fromFiles = entries.filter((e) => e.payload === undefined).map((e) => e.key);
    assert.deepEqual(fromFiles, ["dt=2024-03-05/7900200.json"]);
    const { summary, stored } = await replayed(archive);
    assert.deepEqual([summary.inserted, summary.invalid], [events.length, 0]);
    assert.deepEqual(stored, expected(events));
  });

  it("damaged bytes in a pack record → the object's own bytes stored, nothing reported", async () => {
    const events = sampleEvents();
    const { dir, archive } = await archiveOf(events);
    const path = packPath(dir, "2024-03-04");
    const pack = readFileSync(path);
    // Inside the second record's bytes: past its header line.
    const at = pack.indexOf("\n", pack.indexOf('{"name":"7900001.json"')) + 20;
    pack[at] = (pack[at] as number) ^ 1;
    writeFileSync(path, pack);
    const damaged = (await readAll(archive)).find((e) => e.key === "dt=2024-03-04/7900001.json");
    assert.notDeepEqual(Buffer.from(damaged?.payload ?? []), readFileSync(join(dir, damaged?.key ?? "")));
    const { summary, stored } = await replayed(archive);
    assert.deepEqual([summary.inserted, summary.invalid], [events.length, 0]);
    assert.deepEqual(stored, expected(events));
  });

  it("a damaged header → the rest of that day read from the objects", async () => {
    const events = sampleEvents();
    const { dir, archive } = await archiveOf(events);
    const path = packPath(dir, "2024-03-04");
    const pack = readFileSync(path);
    const second = pack.indexOf('{"name"', 1);
    pack[second] = "x".charCodeAt(0);
    writeFileSync(path, pack);
    const entries = await readAll(archive);
    assert.equal(entries.filter((e) => e.date === "2024-03-04" && e.payload !== undefined).length, 1);
    assert.equal(entries.length, events.length);
    const { stored } = await replayed(archive);
    assert.deepEqual(stored, expected(events));
  });

  it("an object removed from its folder → its pack record is not replayed", async () => {
    const events = sampleEvents();
    const { dir, archive } = await archiveOf(events);
    const gone = events[1] as KeptEvent;
    rmSync(join(dir, archiveKey(gone)));
    rmSync(join(dir, `${archiveKey(gone)}.meta`));
    assert.ok(existsSync(packPath(dir, "2024-03-04")));
    const entries = await readAll(archive);
    assert.ok(!entries.some((e) => e.key === archiveKey(gone)));
    const { stored } = await replayed(archive);
    assert.equal(stored.has(gone.id), false);
    assert.equal(stored.size, events.length - 1);
  });
});
