import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { signBody } from "../../src/core/signature.js";
import { SqliteStore } from "../../src/stores/sqlite/sqlite-store.js";
import { seededRandom, sha256 } from "../helpers/events.js";
import { makeEvent } from "../helpers/fixtures.js";
import { deliver, startTestServer, TEST_SECRET, type TestServer } from "../helpers/http.js";
import { tempDir } from "../helpers/temp.js";
import { recordResult } from "./support/results.js";

const REPLAYS = 20;
const FLIPS = 200;
const SEED = 42;

describe("forgery and replay over real HTTP on a real SQLite file", () => {
  let store: SqliteStore;
  let server: TestServer;

  before(async () => {
    store = new SqliteStore({ filename: `${tempDir()}/portcall.db` });
    await store.migrate();
    server = await startTestServer(store);
  });

  after(async () => {
    await server?.close();
    await store?.close();
  });

  it(`replayed with its valid signature ×${REPLAYS} → duplicate, counted, one row; ${FLIPS} byte flips with the old signature → 401, nothing stored`, async () => {
    const count = (table: string) =>
      (store.database.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
    const body = Buffer.from(makeEvent({ id: 9_500_001 }), "utf8");
    const signature = signBody(body, TEST_SECRET);
    const first = await deliver(server.webhookUrl, body, { sign: false, headers: signature });
    assert.equal(first.status, 200);
    assert.equal(first.json.status, "stored");

    let duplicates = 0;
    for (let i = 0; i < REPLAYS; i++) {
      const replay = await deliver(server.webhookUrl, body, { sign: false, headers: signature });
      assert.equal(replay.status, 200, "a replay of an authentic delivery is acknowledged");
      assert.equal(replay.json.status, "duplicate");
      duplicates++;
    }
    const row = await store.getEvent("9500001");
    assert.equal(row?.payload, body.toString("utf8"), "the first bytes stay");
    assert.equal(row?.deliveries, REPLAYS + 1, "every replay is counted");
    assert.equal(count("flexport_events"), 1, "not stored twice");
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    assert.match(
      metrics,
      new RegExp(`^portcall_deliveries_total\\{outcome="duplicate",source="default"\\} ${REPLAYS}$`, "m"),
    );

    const random = seededRandom(SEED);
    let forged = 0;
    const statuses = new Map<number, number>();
    for (let i = 0; i < FLIPS; i++) {
      const tampered = Buffer.from(body);
      const at = Math.floor(random() * tampered.length);
      const bit = 1 << Math.floor(random() * 8);
      tampered[at] = (tampered[at] ?? 0) ^ bit;
      // Both the SHA-256 header alone and the legacy SHA-1 header alone.
      const headers =
        i % 2 === 0
          ? { "x-hub-signature-256": signature["x-hub-signature-256"] ?? "" }
          : { "x-hub-signature": signature["x-hub-signature"] ?? "" };
      const response = await deliver(server.webhookUrl, tampered, { sign: false, headers });
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      assert.equal(response.status, 401, `flip at byte ${at} → 401`);
      assert.equal(await store.getReject(sha256(tampered)), undefined, "a forgery is not quarantined");
      forged++;
    }
    assert.equal(count("flexport_events"), 1, "no forged row");
    assert.equal(count("flexport_rejects"), 0, "no forged reject");

    recordResult({
      case: "forgery and replay",
      store: "sqlite",
      done: `one event delivered, then replayed ${REPLAYS}× with its valid signature; then ${FLIPS} single-bit flips (seed ${SEED}) sent with the original SHA-256 or SHA-1 signature`,
      deliveries: 1 + REPLAYS + FLIPS,
      acknowledged: 1,
      found: row === undefined ? 0 : 1,
      lost: row === undefined ? 1 : 0,
      duplicated: count("flexport_events") - 1,
      crashes: 0,
      notes: `${1 + duplicates} 2xx for the one event; replays answered "duplicate" and counted (deliveries = ${row?.deliveries}); ${forged} forgeries → ${statuses.get(401) ?? 0}×401; 0 forged rows or rejects`,
    });
  });
});
