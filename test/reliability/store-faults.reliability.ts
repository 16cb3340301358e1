import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { closeSync, mkdirSync, openSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { openStore } from "../../src/stores/open-store.js";
import type { EventStore } from "../../src/stores/store.js";
import { type DeliveryLoad, startDeliveryLoad, statusSummary } from "../helpers/delivery-load.js";
import { sleep } from "../helpers/events.js";
import { startTestServer, type TestServer } from "../helpers/http.js";
import { storeTargets, TEST_PG_URL, type TestStore } from "../helpers/stores.js";
import { TcpProxy } from "../helpers/tcp-proxy.js";
import { tempDir } from "../helpers/temp.js";
import { recordResult } from "./support/results.js";
import { checkStore } from "./support/verify.js";

const targets = await storeTargets();
const postgres = targets.find((t) => t.name === "postgres");

/** Waits (bounded) until /readyz answers 200 and a delivery is acknowledged again. */
async function waitForRecovery(server: TestServer, load: DeliveryLoad, ms: number): Promise<number> {
  const started = Date.now();
  const acked = load.acknowledged.size;
  while (Date.now() - started < ms) {
    const ready = (await fetch(`${server.url}/readyz`)).status;
    if (ready === 200 && load.acknowledged.size > acked) return Date.now() - started;
    await sleep(100);
  }
  const ready = await fetch(`${server.url}/readyz`);
  throw new Error(
    `no recovery within ${ms} ms: /readyz ${ready.status} ${await ready.text()}; answers ${statusSummary(load.statuses)}`,
  );
}

function countLines(lines: readonly string[], text: string): number {
  return lines.filter((l) => l.includes(text)).length;
}

describe("store faults: PostgreSQL cut and restored mid-load", { skip: postgres?.skip ?? false }, () => {
  let installation: TestStore | undefined;
  let proxy: TcpProxy | undefined;
  let store: EventStore | undefined;
  let server: TestServer | undefined;

  after(async () => {
    await server?.close();
    await store?.close();
    await proxy?.stop();
    await installation?.destroy();
  });

  it("cut → 503 + Retry-After, /readyz fails, logged once; restored → recovers without restart; no acknowledged loss", async () => {
    if (!postgres) throw new Error("no postgres target");
    installation = await postgres.create();
    const target = new URL(TEST_PG_URL);
    proxy = new TcpProxy(target.hostname, Number(target.port || 5432));
    const viaProxy = new URL(TEST_PG_URL);
    viaProxy.port = String(await proxy.start());
    store = await openStore({
      databaseUrl: viaProxy.toString(),
      pgSchema: installation.env.PORTCALL_DB_SCHEMA ?? "public",
      pgOptions: { poolMax: 4, connectTimeoutMs: 1000, statementTimeoutMs: 1500 },
    });
    await store.migrate();
    const logLines: string[] = [];
    server = await startTestServer(store, { logLines });

    const load = startDeliveryLoad(server.webhookUrl, { firstId: 8_200_000, concurrency: 6, maxMs: 25_000 });
    await sleep(1000);
    const ackedBefore = load.acknowledged.size;
    load.slowWindow = true;
    await proxy.cut();
    await sleep(2500);
    const readyDuringOutage = await fetch(`${server.url}/readyz`);
    load.slowWindow = false;
    const refused = load.statuses.get(503) ?? 0;
    await proxy.restore();
    const recoveryMs = await waitForRecovery(server, load, 15_000);
    await sleep(500);
    await load.stop();

    const check = await checkStore(store, load.acknowledged, (id) => load.bodies.get(id));
    const outageLogs = countLines(logLines, "store unavailable");
    const recoveredLogs = countLines(logLines, "store recovered");
    recordResult({
      case: "store faults",
      store: "postgres",
      done: "TCP proxy between receiver and PostgreSQL: all sockets destroyed and new ones refused for 2.5 s mid-load, then restored",
      deliveries: load.deliveries,
      acknowledged: load.acknowledged.size,
      found: check.found,
      lost: check.lost.length,
      duplicated: check.duplicated,
      crashes: 0,
      notes: `answers ${statusSummary(load.statuses)}; slowest answer during the cut ${load.slowestMs} ms; /readyz ${readyDuringOutage.status} during the cut; recovered ${recoveryMs} ms after restore, no restart; outage logged ${outageLogs}×, recovery ${recoveredLogs}×`,
    });
    assert.ok(ackedBefore > 0, "deliveries were acknowledged before the cut");
    assert.ok(refused > 0, "deliveries were refused with 503 during the cut");
    assert.deepEqual(load.unexpected, [], "only 2xx or 503 + Retry-After");
    assert.ok(load.slowestMs < 5000, `503 within seconds (slowest ${load.slowestMs} ms)`);
    assert.equal(readyDuringOutage.status, 503, "/readyz fails during the cut");
    assert.ok(readyDuringOutage.headers.get("retry-after"), "/readyz sends Retry-After");
    assert.equal(outageLogs, 1, "the outage is logged once, not per request");
    assert.equal(recoveredLogs, 1, "the recovery is logged once");
    assert.deepEqual(check.lost, [], "zero acknowledged losses");
    assert.deepEqual(check.corrupt, []);
    assert.equal(check.duplicated, 0);
  });
});

/**
 * The SQLite disk made full: a 16 MiB tmpfs when this machine lets us mount one (root),
 * roomy enough for the WAL to reach its 4 MiB checkpoint so that only the filler fills it;
 * otherwise the database files made read-only (which only binds a non-root user).
 */
function prepareSmallDisk(): { dir: string; method: "tmpfs" | "read-only"; release(): void } {
  const dir = join(tempDir("portcall-reliability-"), "disk");
  mkdirSync(dir);
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=16m", "tmpfs", dir], { stdio: "ignore" });
    return { dir, method: "tmpfs", release: () => execFileSync("umount", ["-l", dir], { stdio: "ignore" }) };
  } catch {
    return { dir, method: "read-only", release: () => undefined };
  }
}

const canInject = process.getuid?.() !== 0 || canMount();
function canMount(): boolean {
  const disk = prepareSmallDisk();
  disk.release();
  return disk.method === "tmpfs";
}

describe("store faults: SQLite disk full", {
  skip: canInject ? false : "skipped: root without permission to mount a tmpfs cannot make SQLite fail",
}, () => {
  let disk: ReturnType<typeof prepareSmallDisk> | undefined;
  let store: EventStore | undefined;
  let server: TestServer | undefined;

  after(async () => {
    await server?.close();
    await store?.close();
    disk?.release();
  });

  it("disk full → 503 + Retry-After, /readyz fails, logged once; space freed → recovers without restart; no acknowledged loss", async () => {
    disk = prepareSmallDisk();
    store = await openStore({ databaseUrl: `sqlite:${disk.dir}/portcall.db` });
    await store.migrate();
    const logLines: string[] = [];
    server = await startTestServer(store, { logLines });
    const filler = join(disk.dir, "filler");

    const load = startDeliveryLoad(server.webhookUrl, {
      firstId: 8_300_000,
      concurrency: 4,
      padBytes: 4096,
      maxMs: 25_000,
    });
    await sleep(800);
    const ackedBefore = load.acknowledged.size;
    load.slowWindow = true;
    if (disk.method === "tmpfs") fillDisk(filler);
    else execFileSync("chmod", ["-R", "a-w", disk.dir]);
    const refusedBy = Date.now() + 8000;
    while ((load.statuses.get(503) ?? 0) < 20 && Date.now() < refusedBy) await sleep(50);
    const readyDuringOutage = await fetch(`${server.url}/readyz`);
    load.slowWindow = false;
    const refused = load.statuses.get(503) ?? 0;
    if (disk.method === "tmpfs") rmSync(filler);
    else execFileSync("chmod", ["-R", "u+w", disk.dir]);
    const recoveryMs = await waitForRecovery(server, load, 15_000);
    await sleep(500);
    await load.stop();

    const check = await checkStore(store, load.acknowledged, (id) => load.bodies.get(id));
    const outageLogs = countLines(logLines, "store unavailable");
    const recoveredLogs = countLines(logLines, "store recovered");
    recordResult({
      case: "store faults",
      store: "sqlite",
      done:
        disk.method === "tmpfs"
          ? "database on a 16 MiB tmpfs, filled to ENOSPC mid-load, then space freed"
          : "database files made read-only mid-load, then writable again",
      deliveries: load.deliveries,
      acknowledged: load.acknowledged.size,
      found: check.found,
      lost: check.lost.length,
      duplicated: check.duplicated,
      crashes: 0,
      notes: `answers ${statusSummary(load.statuses)}; slowest answer while full ${load.slowestMs} ms; /readyz ${readyDuringOutage.status} while full; recovered ${recoveryMs} ms after space freed, no restart; outage logged ${outageLogs}×, recovery ${recoveredLogs}×`,
    });
    assert.ok(ackedBefore > 0, "deliveries were acknowledged before the disk filled");
    assert.ok(refused > 0, "deliveries were refused with 503 while the disk was full");
    assert.deepEqual(load.unexpected, [], "only 2xx or 503 + Retry-After");
    assert.equal(readyDuringOutage.status, 503, "/readyz fails while the disk is full");
    assert.equal(outageLogs, 1, "the outage is logged once, not per request");
    assert.equal(recoveredLogs, 1, "the recovery is logged once");
    assert.deepEqual(check.lost, [], "zero acknowledged losses");
    assert.deepEqual(check.corrupt, []);
    assert.equal(check.duplicated, 0);
  });
});

/** Writes until the file system says ENOSPC. */
function fillDisk(path: string): void {
  const fd = openSync(path, "w");
  const chunk = Buffer.alloc(64 * 1024, 1);
  try {
    for (let i = 0; i < 10_000; i++) writeSync(fd, chunk);
    throw new Error("the small disk never filled");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOSPC") throw error;
  } finally {
    closeSync(fd);
  }
}
