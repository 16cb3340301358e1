import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { sourceArchiveUrl } from "../src/archive/archive.js";
import { openArchive } from "../src/archive/open-archive.js";
import { replay } from "../src/replay/replay.js";
import { createArchiveSink } from "../src/sinks/archive-sink.js";
import type { ExportEvent } from "../src/sinks/export-sink.js";
import type { EventStore } from "../src/stores/store.js";
import { storeTargets, type TestStore } from "./helpers/stores.js";
import { tempDir } from "./helpers/temp.js";

const event = (
  id: string,
  payload: string,
  sourceName: string,
  api: "freight" | "logistics",
): ExportEvent => ({
  id,
  type: api === "logistics" ? "Order.Shipped" : "/shipment#created",
  occurredAt: null,
  createdAt: null,
  receivedAt: "2024-10-07T18:00:00.000Z",
  signatureAlg: api === "logistics" ? null : "sha256",
  payload,
  payloadSha256: "",
  source: "webhook",
  sourceName,
  api,
});
const logistics = '{"logisticsEventId":"evt-arch-1","logisticsEventType":"Order.Shipped"}';
const freight = '{"_object":"/event","id":8400001,"type":"/shipment#created"}';

const [sqlite] = await storeTargets();

describe("archive prefix per source, and replay --source", () => {
  const dir = tempDir();
  const url = `file:${dir}`;
  let installation: TestStore;
  let store: EventStore;

  before(async () => {
    installation = await (sqlite?.create() ?? Promise.reject(new Error("no sqlite")));
    store = await installation.open();
    await store.migrate();
  });
  after(async () => {
    await store?.close();
    await installation?.destroy();
  });

  it("the default source at the root, another under source=<name>/", async () => {
    const { createHash } = await import("node:crypto");
    const sha = (text: string) => createHash("sha256").update(text).digest("hex");
    const sink = createArchiveSink(await openArchive(url), {
      openSource: (name) => openArchive(sourceArchiveUrl(url, name)),
    });
    const results = await sink.deliver([
      { ...event("8400001", freight, "default", "freight"), payloadSha256: sha(freight) },
      {
        ...event("logistics:evt-arch-1", logistics, "fulfilment", "logistics"),
        payloadSha256: sha(logistics),
      },
    ]);
    assert.deepEqual(results, [{ ok: true }, { ok: true }]);
    assert.ok(existsSync(join(dir, "dt=2024-10-07", "8400001.json")));
    assert.ok(
      existsSync(
        join(dir, "source=fulfilment", "dt=2024-10-07", `${encodeURIComponent("logistics:evt-arch-1")}.json`),
      ),
    );
  });

  it("replay of a source's prefix → its events come back under that source, as Logistics API events", async () => {
    const summary = await replay({
      archive: await openArchive(sourceArchiveUrl(url, "fulfilment")),
      store,
      sourceName: "fulfilment",
    });
    assert.equal(summary.inserted, 1);
    const row = await store.getEvent("logistics:evt-arch-1");
    assert.equal(row?.source_name, "fulfilment");
    assert.equal(row?.api, "logistics");
    assert.equal(row?.payload, logistics);
    const root = await replay({ archive: await openArchive(url), store });
    assert.equal(root.inserted, 1, "the root holds only the default source's events");
    assert.equal((await store.getEvent("8400001"))?.source_name, "default");
  });
});
