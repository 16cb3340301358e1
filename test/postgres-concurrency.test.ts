import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, describe, it } from "node:test";
import type { EventStore } from "../src/stores/store.js";
import { makeEvent } from "./helpers/fixtures.js";
import { deliver, TEST_SECRET } from "./helpers/http.js";
import { type ServeProcess, startServe } from "./helpers/serve.js";
import { storeTargets, type TestStore } from "./helpers/stores.js";

const EVENTS = 200;
const DELIVERIES_PER_RECEIVER = 3;
const postgres = (await storeTargets()).find((t) => t.name === "postgres");

describe("two receiver processes on one PostgreSQL database", { skip: postgres?.skip ?? false }, () => {
  let installation: TestStore;
  let receivers: ServeProcess[] = [];
  let store: EventStore;

  before(async () => {
    if (!postgres) throw new Error("no postgres target");
    installation = await postgres.create();
    // Both start at once on an empty schema: the migration lock must let exactly one apply it.
    const env = { ...installation.env, FLEXPORT_WEBHOOK_SECRET: TEST_SECRET, LOG_LEVEL: "warn" };
    receivers = await Promise.all([
      startServe({ ...env, LOG_LEVEL: "info" }),
      startServe({ ...env, LOG_LEVEL: "info" }),
    ]);
    store = await installation.open();
  });

  after(async () => {
    await Promise.all(receivers.map((r) => r.stop()));
    await store?.close();
    await installation?.destroy();
  });

  it(`${EVENTS} events, each delivered ${DELIVERIES_PER_RECEIVER}× to both concurrently → one row per id, deliveries counted, bytes exact`, async () => {
    const bodies = Array.from({ length: EVENTS }, (_, i) =>
      makeEvent({
        id: 8_100_000 + i,
        shipmentId: 2_700_000 + (i % 7),
        type: i % 2 ? "/shipment_leg#arrived" : "/shipment#created",
      }),
    );
    const jobs = bodies.flatMap((body, i) =>
      receivers.flatMap((receiver) =>
        Array.from({ length: DELIVERIES_PER_RECEIVER }, () => ({ body, i, url: receiver.webhookUrl })),
      ),
    );
    // Shuffle deterministically so both receivers see each id at nearly the same moment.
    for (let k = jobs.length - 1; k > 0; k--) {
      const j = (k * 7919) % (k + 1);
      [jobs[k], jobs[j]] = [jobs[j] as (typeof jobs)[number], jobs[k] as (typeof jobs)[number]];
    }
    const stored = new Map<number, number>();
    let acknowledged = 0;
    let next = 0;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (next < jobs.length) {
          const job = jobs[next++];
          if (!job) break;
          const response = await deliver(job.url, job.body);
          assert.equal(response.status, 200);
          acknowledged++;
          if (response.json.status === "stored") stored.set(job.i, (stored.get(job.i) ?? 0) + 1);
        }
      }),
    );

    const rows = await store.listEvents({});
    const byId = new Map(rows.map((r) => [r.id, r]));
    let lost = 0;
    for (const [i, body] of bodies.entries()) {
      const row = await store.getEvent(String(8_100_000 + i));
      if (!row) {
        lost++;
        continue;
      }
      assert.equal(row.payload, body, "payload byte-exact");
      assert.equal(row.payload_sha256, createHash("sha256").update(body).digest("hex"));
      assert.equal(row.deliveries, DELIVERIES_PER_RECEIVER * receivers.length, `deliveries of ${row.id}`);
      assert.equal(stored.get(i), 1, `exactly one "stored" answer for ${row.id}`);
    }
    console.log(
      `two receivers: deliveries sent ${jobs.length}, acknowledged ${acknowledged}, rows found ${byId.size}, lost ${lost}`,
    );
    assert.equal(lost, 0);
    assert.equal(byId.size, EVENTS);
    assert.equal(acknowledged, jobs.length);
  });
});
