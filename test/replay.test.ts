import assert from "node:assert/strict";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Archive } from "../src/archive/archive.js";
import { PACKS_FOLDER } from "../src/archive/file-archive.js";
import { openArchive } from "../src/archive/open-archive.js";
import type { KeptEvent } from "../src/core/event-recorder.js";
import { parseReplayRange, replay } from "../src/replay/replay.js";
import type { EventStore, EventSummary } from "../src/stores/store.js";
import { type FakeGcsServer, startFakeGcsServer } from "./fakes/fake-gcs-server.js";
import { jsonOf, runCli } from "./helpers/cli.js";
import { keptEventFrom } from "./helpers/events.js";
import { makeEvent } from "./helpers/fixtures.js";
import { storeTargets, type TestStore } from "./helpers/stores.js";
import { tempDir } from "./helpers/temp.js";

const DAYS = ["2024-03-04", "2024-03-05", "2024-03-06"];

/** Real-shaped events over three days: varied ids (one above 2^53), bytes and signature algorithms. */
function sampleEvents(): KeptEvent[] {
  const bodies: { body: string; receivedAt: string; alg: string | null }[] = [];
  DAYS.forEach((day, d) => {
    for (let i = 0; i < 10; i++) {
      bodies.push({
        body: makeEvent({ id: 7_500_000 + d * 100 + i, shipmentId: 2_700_000 + i }),
        receivedAt: `${day}T${String(i * 2).padStart(2, "0")}:15:00.${String(d * 10 + i).padStart(3, "0")}Z`,
        alg: i % 3 === 0 ? "sha1" : i % 3 === 1 ? "sha256" : null,
      });
    }
  });
  bodies.push({
    body: `{"id":9007199254740993,"type":"/shipment#note","note":"Café 中文 🚢","created_at":"2024-03-05T01:00:00Z"}`,
    receivedAt: "2024-03-05T23:59:59.999Z",
    alg: "sha256",
  });
  return bodies.map(({ body, receivedAt, alg }) => keptEventFrom(body, receivedAt, alg));
}

/** What "an equal store" means: same ids, bytes (hashes), times, types and algorithms. */
function comparable(events: EventSummary[]) {
  return events
    .map((e) => ({
      id: e.id,
      type: e.type,
      occurred_at: e.occurred_at,
      created_at: e.created_at,
      received_at: e.received_at,
      signature_alg: e.signature_alg,
      payload_sha256: e.payload_sha256,
    }))
    .sort((a, b) => a.id.localeCompare(b.id));
}

const events = sampleEvents();

/** An archive and the original store it was exported from, as the server and exporter would leave them. */
async function archivedStore(archive: Archive, store: EventStore): Promise<void> {
  for (const event of events) {
    await archive.put(event);
    await store.record(
      {
        id: event.id,
        type: event.type,
        occurredAt: event.occurredAt,
        createdAt: event.createdAt,
        payload: Buffer.from(event.payload).toString("utf8"),
        payloadSha256: event.payloadSha256,
        signatureAlg: event.signatureAlg as "sha1" | "sha256" | null,
        source: "webhook",
        sourceName: "default",
        api: "freight",
      },
      new Date(event.receivedAt),
    );
  }
}

interface ReplayJson {
  read: number;
  inserted: number;
  already_present: number;
  invalid: number;
  database: string;
}

for (const target of await storeTargets()) {
  describe(`portcall replay file: → ${target.name}`, { skip: target.skip ?? false }, () => {
    const installations: TestStore[] = [];
    const archiveDir = tempDir("portcall-replay-");
    let original: EventSummary[];

    const fresh = async () => {
      const installation = await target.create();
      installations.push(installation);
      return installation;
    };

    before(async () => {
      const source = await fresh();
      const store = await source.open();
      try {
        await store.migrate();
        await archivedStore(await openArchive(`file:${archiveDir}`), store);
        original = await store.listEvents({});
      } finally {
        await store.close();
      }
      assert.equal(original.length, events.length);
    });

    after(async () => {
      for (const installation of installations) await installation.destroy();
    });

    it("replay into an empty database → an equal store (ids, payload hashes, received_at, signature_alg)", async () => {
      const target = await fresh();
      const first = await runCli(["replay", `file:${archiveDir}`, "--json"], target.env);
      assert.equal(first.code, 0, first.stderr);
      const summary = jsonOf<ReplayJson>(first);
      assert.deepEqual(
        [summary.read, summary.inserted, summary.already_present, summary.invalid],
        [events.length, events.length, 0, 0],
      );
      assert.match(first.stderr, new RegExp(`replay: ${events.length} read, ${events.length} inserted`));

      const store = await target.open();
      try {
        const rebuilt = await store.listEvents({});
        assert.deepEqual(comparable(rebuilt), comparable(original));
        assert.ok(rebuilt.every((e) => e.source === "replay" && e.deliveries === 1));
        for (const event of events) {
          assert.equal(
            (await store.getEvent(event.id))?.payload,
            Buffer.from(event.payload).toString("utf8"),
          );
        }
      } finally {
        await store.close();
      }

      const second = await runCli(["replay", `file:${archiveDir}`, "--json"], target.env);
      assert.equal(second.code, 0, second.stderr);
      const again = jsonOf<ReplayJson>(second);
      assert.deepEqual(
        [again.read, again.inserted, again.already_present],
        [events.length, 0, events.length],
      );
    });

    it("replay --since/--until → only events received in that window", async () => {
      const target = await fresh();
      const byDay = await runCli(
        [
          "replay",
          `file:${archiveDir}`,
          "--since",
          DAYS[1] as string,
          "--until",
          DAYS[1] as string,
          "--json",
        ],
        target.env,
      );
      assert.equal(byDay.code, 0, byDay.stderr);
      const expected = events.filter((e) => e.receivedAt.startsWith(DAYS[1] as string)).map((e) => e.id);
      assert.equal(jsonOf<ReplayJson>(byDay).inserted, expected.length);

      // A time bound cuts inside a day: 2024-03-04 from 10:00 on, and nothing later.
      const byTime = await runCli(
        [
          "replay",
          `file:${archiveDir}`,
          "--since",
          "2024-03-04T10:00:00Z",
          "--until",
          "2024-03-04T23:59:59.999Z",
          "--json",
        ],
        target.env,
      );
      assert.equal(byTime.code, 0, byTime.stderr);
      expected.push(
        ...events
          .filter((e) => e.receivedAt.startsWith("2024-03-04") && e.receivedAt >= "2024-03-04T10:00:00Z")
          .map((e) => e.id),
      );
      const store = await target.open();
      try {
        const ids = (await store.listEvents({})).map((e) => e.id).sort();
        assert.deepEqual(ids, [...expected].sort());
      } finally {
        await store.close();
      }
    });
  });
}

describe("replay of invalid archived objects", () => {
  let installation: TestStore;
  const dir = tempDir("portcall-replay-");

  before(async () => {
    const [sqlite] = await storeTargets();
    installation = await (sqlite as { create(): Promise<TestStore> }).create();
    const archive = await openArchive(`file:${dir}`);
    for (const event of events.slice(0, 3)) await archive.put(event);
    const folder = join(dir, "dt=2024-03-04");
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, "7600001.json"), "{not json");
    // Not an object (does not end in .json): never listed. An object without a sidecar is.
    writeFileSync(join(folder, "7500000.json.tmp-not-listed"), "x");
    writeFileSync(join(folder, "7600002.json"), makeEvent({ id: 7_600_002 }));
    writeFileSync(join(folder, "7600003.json"), makeEvent({ id: 7_699_999 }));
  });
  after(() => installation.destroy());

  it("replay → each invalid object reported by key and reason, valid ones inserted, exit 1", async () => {
    const result = await runCli(["replay", `file:${dir}`, "--json"], installation.env);
    assert.equal(result.code, 1);
    const summary = jsonOf<
      ReplayJson & { problems: { key: string; reason: string }[]; without_metadata: number }
    >(result);
    assert.equal(summary.read, 6);
    assert.equal(summary.inserted, 4);
    assert.equal(summary.invalid, 2);
    assert.equal(summary.without_metadata, 1);
    assert.deepEqual(summary.problems, [
      { key: "dt=2024-03-04/7600001.json", reason: "invalid_json: body is not valid JSON" },
      { key: "dt=2024-03-04/7600003.json", reason: "the key names id 7600003 but the body has id 7699999" },
    ]);
    assert.match(result.stderr, /invalid: dt=2024-03-04\/7600001.json: invalid_json/);
    assert.match(result.stderr, /2 archived object\(s\) are not valid events/);
  });

  it("replay of a file: folder that does not exist → exit 2 naming archive-url, nothing read", async () => {
    const result = await runCli(["replay", `file:${join(dir, "no-such-folder")}`], installation.env);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /archive-url: folder ".*no-such-folder" .*does not exist/);
    assert.doesNotMatch(result.stdout.toString("utf8"), /replayed/);
  });

  it("bytes that no longer match the archived sha256 → invalid, not inserted", async () => {
    const archive = await openArchive(`file:${dir}`);
    const first = events[0] as KeptEvent;
    // The objects alone, as an archive written before day packs has them (a pack's own copy
    // is checked against the sha256 kept with it: test/archive-packs.test.ts).
    rmSync(join(dir, PACKS_FOLDER), { recursive: true, force: true });
    writeFileSync(
      join(dir, `dt=${first.receivedAt.slice(0, 10)}`, `${first.id}.json`),
      makeEvent({ id: Number(first.id), type: "/tampered" }),
    );
    const inserted: string[] = [];
    const summary = await replay({
      archive,
      store: {
        insertIfAbsent: async (event) => {
          inserted.push(event.id);
          return true;
        },
      },
    });
    assert.ok(
      summary.problems.some(
        (p) => p.key.endsWith(`/${first.id}.json`) && /do not match the archived sha256/.test(p.reason),
      ),
    );
    assert.ok(!inserted.includes(first.id));
  });
});

describe("portcall replay gs:// → sqlite, through STORAGE_EMULATOR_HOST", () => {
  let server: FakeGcsServer;
  let installation: TestStore;

  before(async () => {
    server = await startFakeGcsServer();
    const [sqlite] = await storeTargets();
    installation = await (sqlite as { create(): Promise<TestStore> }).create();
    const archive = await openArchive("gs://portcall-replay/raw", { gcsApiEndpoint: server.url });
    for (const event of events) await archive.put(event);
  });
  after(async () => {
    await server.close();
    await installation.destroy();
  });

  it("replay → every event inserted with its received_at and signature_alg; objects only read", async () => {
    const uploadsBefore = server.uploads.length;
    const result = await runCli(
      ["replay", "gs://portcall-replay/raw", "--since", DAYS[1] as string, "--json"],
      {
        ...installation.env,
        STORAGE_EMULATOR_HOST: server.url,
      },
    );
    assert.equal(result.code, 0, result.stderr);
    const expected = events.filter((e) => e.receivedAt >= (DAYS[1] as string));
    assert.equal(jsonOf<ReplayJson>(result).inserted, expected.length);
    assert.equal(server.uploads.length, uploadsBefore);
    assert.ok(server.requests.some((r) => r.query.startOffset === "raw/dt=2024-03-05/"));
    // Metadata came with the listing: per object, only the bytes were fetched.
    const objectGets = server.requests.filter((r) => r.method === "GET" && /\/o\/.+/.test(r.path));
    assert.equal(objectGets.length, expected.length);
    assert.ok(objectGets.every((r) => r.query.alt === "media"));

    const store = await installation.open();
    try {
      for (const event of expected) {
        const stored = await store.getEvent(event.id);
        assert.equal(stored?.received_at, event.receivedAt);
        assert.equal(stored?.signature_alg, event.signatureAlg);
        assert.equal(stored?.payload_sha256, event.payloadSha256);
      }
    } finally {
      await store.close();
    }
  });
  it("replay gs://<a bucket that does not exist> → exit 2 naming the bucket, not '0 read'", async () => {
    server.missingBuckets.add("portcall-no-such-bucket");
    const result = await runCli(["replay", "gs://portcall-no-such-bucket/raw"], {
      ...installation.env,
      STORAGE_EMULATOR_HOST: server.url,
    });
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /archive-url: no bucket portcall-no-such-bucket/);
    assert.doesNotMatch(result.stdout.toString(), /0 read/);
  });
});

describe("replay when the store fails", () => {
  it("a write that fails → replay stops listing, waits for writes in flight, rejects naming the key", async () => {
    const archive = await openArchive(`file:${tempDir("portcall-replay-")}`);
    for (const event of events) await archive.put(event);
    let calls = 0;
    let inFlight = 0;
    const store = {
      insertIfAbsent: async () => {
        calls += 1;
        inFlight += 1;
        await new Promise((resolve) => setTimeout(resolve, 5));
        inFlight -= 1;
        if (calls === 5) throw new Error("disk full (injected)");
        return true;
      },
    };
    await assert.rejects(
      replay({ archive, store, concurrency: 4 }),
      /replay of dt=.+\.json failed: disk full \(injected\)/,
    );
    assert.equal(inFlight, 0, "no write left running after replay settled");
    assert.ok(calls < events.length, `stopped early (${calls} of ${events.length} attempted)`);
  });
});

describe("replay of an id archived on two days", () => {
  it("the later object read first → the earliest received is still the one inserted", async () => {
    const files = await openArchive(`file:${tempDir("portcall-replay-")}`);
    const body = makeEvent({ id: 7_700_001 });
    const first = keptEventFrom(body, "2024-03-04T23:59:59.000Z", "sha256");
    const redelivery = keptEventFrom(body, "2024-03-05T00:00:01.000Z", "sha1");
    await files.put(first);
    await files.put(redelivery);
    // Reads of the earlier partition are slow, so its object would finish last if unordered.
    // Without readAll, so that every object goes through the slow read() below.
    const archive: Archive = {
      description: files.description,
      put: (event) => files.put(event),
      list: (range) => files.list(range),
      get: (key) => files.get(key),
      read: async (key) => {
        if (key.startsWith("dt=2024-03-04/")) await new Promise((resolve) => setTimeout(resolve, 50));
        return files.read(key);
      },
    };
    const kept = new Map<string, string>();
    const summary = await replay({
      archive,
      store: {
        insertIfAbsent: async (event, receivedAt) => {
          if (kept.has(event.id)) return false;
          kept.set(event.id, `${receivedAt.toISOString()} ${event.signatureAlg}`);
          return true;
        },
      },
    });
    assert.deepEqual([summary.read, summary.inserted, summary.alreadyPresent], [2, 1, 1]);
    assert.equal(kept.get("7700001"), "2024-03-04T23:59:59.000Z sha256");
  });
});

describe("parseReplayRange", () => {
  it("dates → whole UTC days, both inclusive", () => {
    assert.deepEqual(parseReplayRange("2024-03-04", "2024-03-05"), {
      sinceDate: "2024-03-04",
      fromMs: Date.parse("2024-03-04T00:00:00Z"),
      untilDate: "2024-03-05",
      toMs: Date.parse("2024-03-06T00:00:00Z"),
    });
  });
  it("a malformed --since → error naming --since", () => {
    assert.throws(
      () => parseReplayRange("yesterday", undefined),
      /--since: "yesterday" is not an ISO-8601 date/,
    );
  });
  it("--since after --until → error", () => {
    assert.throws(
      () => parseReplayRange("2024-03-05", "2024-03-04"),
      /--until \(2024-03-04\) is before --since/,
    );
  });
});
