import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { openStore } from "../src/stores/open-store.js";
import type { EventStore } from "../src/stores/store.js";
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
    const acknowledged = new Map<string, string>();
    const statuses = new Map<number, number>();
    let slowestOutageMs = 0;
    let phase: "before" | "outage" | "after" = "before";
    let nextId = 9_300_000;
    let sent = 0;

    const load = async (until: () => boolean) => {
      while (!until()) {
        const id = String(nextId++);
        const body = makeEvent({ id: Number(id) });
        const started = Date.now();
        const response = await deliver(server.webhookUrl, body);
        sent++;
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        if (response.status === 200) acknowledged.set(id, body);
        else {
          assert.equal(response.status, 503, `only 503 while the database is away, got ${response.status}`);
          assert.equal(response.headers.get("retry-after"), "5");
          assert.equal(response.json.error, "store_unavailable");
        }
        if (phase === "outage") slowestOutageMs = Math.max(slowestOutageMs, Date.now() - started);
      }
    };

    const deadline = Date.now() + 20_000; // bound: the test stops by itself
    let stop = false;
    const workers = Array.from({ length: 8 }, () => load(() => stop || Date.now() > deadline));

    await sleep(1000);
    phase = "outage";
    await proxy.cut();
    await sleep(2500);
    const readyDuringOutage = (await fetch(`${server.url}/readyz`)).status;
    phase = "after";
    await proxy.restore();
    // Recovery by itself: wait until deliveries succeed again, then a little more load.
    const recoveredBy = Date.now() + 10_000;
    while (Date.now() < recoveredBy && (await fetch(`${server.url}/readyz`)).status !== 200) await sleep(200);
    await sleep(1000);
    stop = true;
    await Promise.all(workers);

    const readyAfter = (await fetch(`${server.url}/readyz`)).status;
    let lost = 0;
    for (const [id, body] of acknowledged) {
      const row = await store.getEvent(id);
      if (row?.payload !== body) lost++;
    }
    const outageLogs = logLines.filter((l) => l.includes("store unavailable")).length;
    const recoveredLogs = logLines.filter((l) => l.includes("store recovered")).length;
    console.log(
      `outage: deliveries sent ${sent}, acknowledged ${acknowledged.size}, 503 ${statuses.get(503) ?? 0}, ` +
        `rows found ${acknowledged.size - lost}, lost ${lost}, slowest answer during outage ${slowestOutageMs} ms`,
    );
    assert.equal(lost, 0, "every 2xx-acknowledged event is in the table");
    assert.ok((statuses.get(503) ?? 0) > 0, "some deliveries were refused during the outage");
    assert.ok(slowestOutageMs < 5000, `503 within a few seconds (slowest ${slowestOutageMs} ms)`);
    assert.equal(readyDuringOutage, 503, "/readyz fails during the outage");
    assert.equal(readyAfter, 200, "/readyz recovers without restart");
    assert.equal(outageLogs, 1, "the outage is logged once, not once per request");
    assert.equal(recoveredLogs, 1);
    const afterRecovery = await deliver(server.webhookUrl, makeEvent({ id: nextId++ }));
    assert.equal(afterRecovery.status, 200);
  });
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
