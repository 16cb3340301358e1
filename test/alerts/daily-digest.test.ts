import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { createDailyDigest } from "../../src/alerts/daily-digest.js";
import { openDestination } from "../../src/destinations/open-destination.js";
import { loadSamples } from "../../src/samples/samples.js";
import type { EventStore } from "../../src/stores/store.js";
import { deliver, startTestServer } from "../helpers/http.js";
import { type RecordingReceiver, startRecordingReceiver } from "../helpers/recording-receiver.js";
import { storeTargets, type TestStore } from "../helpers/stores.js";
import { verifiedById, webhookTo } from "./support.js";

const sqlite = (await storeTargets()).find((t) => t.name === "sqlite");
let installation: TestStore;
let store: EventStore;
let receiver: RecordingReceiver;

before(async () => {
  installation = await (sqlite?.create() as Promise<TestStore>);
  store = await installation.open();
  await store.migrate();
  const server = await startTestServer(store);
  for (const s of loadSamples()) assert.equal((await deliver(server.webhookUrl, s.bytes)).status, 200);
  await server.close();
  receiver = await startRecordingReceiver();
});
after(async () => {
  await receiver?.close();
  await store?.close();
  await installation?.destroy();
});

test("daily digest → nothing before its time, then one per destination and day, whichever receiver runs it", async () => {
  const destination = await openDestination(webhookTo("ops", receiver.url));
  let now = new Date("2024-10-20T07:59:00.000Z");
  const digests = [1, 2].map(() =>
    createDailyDigest({ store, destinations: [{ destination, at: "08:00" }], now: () => now }),
  );
  assert.equal(await digests[0]?.runOnce(), 0, "before 08:00: nothing");
  now = new Date("2024-10-20T08:01:00.000Z");
  assert.equal(await digests[0]?.runOnce(), 1);
  assert.equal(
    await digests[1]?.runOnce(),
    0,
    "the other receiver sends nothing (the lease is held and the digest is sent)",
  );
  assert.equal(await digests[0]?.runOnce(), 0);

  const shipments = await store.reports().shipments({});
  const held = shipments.filter((s) => s.customs_hold_open);
  assert.ok(held.length > 0, "the samples leave a hold open");
  const [body] = [...verifiedById(receiver.accepted).values()].map((v) => v.body);
  const data = (JSON.parse(body ?? "{}") as { data: { title: string; details: string[] } }).data;
  assert.match(data.title, new RegExp(`^portcall daily digest 2024-10-20: ${held.length} on hold`));
  for (const s of held) assert.ok(data.details.some((d) => d.includes(`#${s.shipment_id}`)));

  now = new Date("2024-10-21T09:00:00.000Z");
  assert.equal(await digests[0]?.runOnce(), 1, "a new day, a new digest");
  await destination.close();
});
