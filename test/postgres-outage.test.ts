import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { openStore } from "../src/stores/open-store.js";
import type { EventStore } from "../src/stores/store.js";
import { startDeliveryLoad, statusSummary } from "./helpers/delivery-load.js";
import { sleep } from "./helpers/events.js";
import { makeEvent } from "./helpers/fixtures.js";
import { deliver, startTestServer, type TestServer } from "./helpers/http.js";
import { storeTargets, TEST_PG_URL, type TestStore } from "./helpers/stores.js";
import { TcpProxy } from "./helpers/tcp-proxy.js";

const postgres = (await storeTargets()).find((t) => t.name === "postgres");

describe("PostgreSQL outage through a TCP proxy", { skip: postgres?.skip ?? false }, () => {
  let installation: TestStore;
  let proxy: TcpProxy;
  let store: EventStore;
  let server: TestServer;
  const logLines: string[] = [];

  before(async () => {
    if (!postgres) throw new Error("no postgres target");
    installation = await postgres.create();
    const target = new URL(TEST_PG_URL);
    proxy = new TcpProxy(target.hostname, Number(target.port || 5432));
    const port = await proxy.start();
    const viaProxy = new URL(TEST_PG_URL);
    viaProxy.port = String(port);
    store = await openStore({
      databaseUrl: viaProxy.toString(),
      pgSchema: installation.env.PORTCALL_DB_SCHEMA ?? "public",
      pgOptions: { poolMax: 4, connectTimeoutMs: 1000, statementTimeoutMs: 1500 },
    });
    await store.migrate();
    server = await startTestServer(store, { logLines });
  });

  after(async () => {
    await server?.close();
    await store?.close();
    await proxy?.stop();
    await installation?.destroy();
  });

  it("cut mid-load → fast 503s with Retry-After, /readyz fails, logged once; restored → recovers; no acknowledged loss", async () => {
    // Eight clients, each sending the next id as soon as it has an answer; bounded at 20 s.
    const load = startDeliveryLoad(server.webhookUrl, { firstId: 9_300_000, concurrency: 8, maxMs: 20_000 });

    await sleep(1000);
    load.slowWindow = true;
    await proxy.cut();
    await sleep(2500);
    const readyDuringOutage = (await fetch(`${server.url}/readyz`)).status;
    load.slowWindow = false;
    await proxy.restore();
    // Recovery by itself: wait until deliveries succeed again, then a little more load.
    const recoveredBy = Date.now() + 10_000;
    while (Date.now() < recoveredBy && (await fetch(`${server.url}/readyz`)).status !== 200) await sleep(200);
    await sleep(1000);
    await load.stop();

    const readyAfter = (await fetch(`${server.url}/readyz`)).status;
    let lost = 0;
    for (const id of load.acknowledged.keys()) {
      const row = await store.getEvent(id);
      if (row?.payload !== load.bodies.get(id)) lost++;
    }
    const outageLogs = logLines.filter((l) => l.includes("store unavailable")).length;
    const recoveredLogs = logLines.filter((l) => l.includes("store recovered")).length;
    const acknowledged = load.acknowledged.size;
    console.log(
      `outage: deliveries sent ${load.deliveries}, acknowledged ${acknowledged}, ${statusSummary(load.statuses)}, ` +
        `rows found ${acknowledged - lost}, lost ${lost}, slowest answer during outage ${load.slowestMs} ms`,
    );
    assert.deepEqual(
      load.unexpected,
      [],
      "only 503 store_unavailable with Retry-After while the database is away",
    );
    assert.equal(load.failedConnections, 0);
    assert.equal(lost, 0, "every 2xx-acknowledged event is in the table");
    assert.ok((load.statuses.get(503) ?? 0) > 0, "some deliveries were refused during the outage");
    assert.ok(load.slowestMs < 5000, `503 within a few seconds (slowest ${load.slowestMs} ms)`);
    assert.equal(readyDuringOutage, 503, "/readyz fails during the outage");
    assert.equal(readyAfter, 200, "/readyz recovers without restart");
    assert.equal(outageLogs, 1, "the outage is logged once, not once per request");
    assert.equal(recoveredLogs, 1);
    const afterRecovery = await deliver(server.webhookUrl, makeEvent({ id: 9_399_999 }));
    assert.equal(afterRecovery.status, 200);
  });
});
