import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import type { DrivenRun } from "../bench/drive.js";
import { renderSummary } from "../bench/report.js";
import type { BenchResults } from "../bench/results-format.js";
import { packagePath } from "../src/paths.js";

// Keeps `npm run bench` from rotting: the quick mode end to end, with no performance
// thresholds (CI machines vary), only "it completes and its results are well formed".
describe("bench quick mode", () => {
  const dir = mkdtempSync(join(tmpdir(), "portcall-bench-smoke-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("node dist/bench/run.js --quick → exits 0 and writes well-formed results", {
    timeout: 120_000,
  }, async () => {
    const out = join(dir, "results.json");
    const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = execFile(
        process.execPath,
        [packagePath("dist", "bench", "run.js"), "--quick", "--out", out],
        { timeout: 110_000, maxBuffer: 16 * 1024 * 1024 },
        (error, _stdout, stderr) => resolve({ code: error ? (child.exitCode ?? 1) : 0, stderr }),
      );
    });
    assert.equal(code, 0, stderr.slice(-3000));
    const results = JSON.parse(readFileSync(out, "utf8")) as BenchResults;
    assert.equal(results.mode, "quick");
    assert.ok(results.machine.cores > 0 && results.machine.node.startsWith("v"));
    assert.deepEqual(
      results.targets.map((t) => t.name),
      [
        "ceiling",
        "naive-peer",
        "minimal-peer",
        "portcall-sqlite",
        "portcall-sqlite-alerts",
        "portcall-postgres",
      ],
    );
    const floor = results.sqliteFloor;
    assert.ok(floor, "SQLite's floor measured beside the SQLite target");
    assert.equal(floor.error, undefined, `SQLite floor failed: ${floor.error}`);
    assert.ok((floor.commits ?? 0) > 0 && (floor.latencyMs?.p99 ?? 0) > 0, "SQLite floor p99 measured");
    assert.ok(results.ratios["portcall-sqlite/minimal-peer@c64"], "portcall ÷ minimal peer computed");
    for (const target of results.targets) {
      if (target.skipped !== undefined) {
        assert.equal(target.name, "portcall-postgres", `${target.name} skipped: ${target.skipped}`);
        continue;
      }
      assert.equal(target.error, undefined, `${target.name} failed: ${target.error}`);
      const runs = Object.entries(target.runs);
      assert.deepEqual(
        runs.map(([key]) => key).sort(),
        ["c64", `rate${results.settings.offeredRate}`].sort(),
      );
      for (const [key, run] of runs) assertRun(`${target.name} ${key}`, run);
      if (target.name === "portcall-postgres") {
        const pgbench = results.pgbench;
        assert.ok(pgbench, "pgbench ran beside the PostgreSQL target");
        if (pgbench.skipped === undefined) {
          assert.equal(pgbench.error, undefined, `pgbench failed: ${pgbench.error}`);
          assert.ok((pgbench.transactions ?? 0) > 0, "pgbench transactions logged");
          assert.ok((pgbench.latencyMs?.p99 ?? 0) > 0, "pgbench p99 measured");
        }
      }
      assert.ok((target.peakRssMb ?? 0) > 0, `${target.name}: peak RSS measured`);
      if (target.name !== "ceiling") {
        assert.ok(target.database, `${target.name}: database checked`);
        assert.ok(target.database.acknowledgedStored > 0, `${target.name}: some deliveries stored`);
        assert.equal(
          target.database.missing,
          0,
          `${target.name}: acknowledged ids missing from the database`,
        );
      }
    }
    assert.equal(results.bigEvents.error, undefined, results.bigEvents.error);
    assert.equal(results.bigEvents.database?.missing, 0);
    const bigPostgres = results.bigEventsPostgres;
    assert.ok(bigPostgres, "the 8 MiB case ran on PostgreSQL too (or says why not)");
    if (bigPostgres.skipped === undefined) {
      assert.equal(bigPostgres.error, undefined, bigPostgres.error);
      assert.equal(bigPostgres.database?.missing, 0);
      assert.ok((bigPostgres.peakRssMb ?? 0) > 0, "PostgreSQL 8 MiB case: peak RSS measured");
    }
    // The bundled entry points (what the package ships) must start and answer 200.
    assert.ok((results.coldStart.server.medianMs ?? 0) > 0, `server: ${results.coldStart.server.skipped}`);
    const fn = results.coldStart.function;
    assert.ok((fn.medianMs ?? 0) > 0 || /not installed/.test(fn.skipped ?? ""), `function: ${fn.skipped}`);
    assert.match(renderSummary(results), /Targets from the issue/);
  });
});

function assertRun(name: string, run: DrivenRun): void {
  assert.ok(run.requests > 0, `${name}: requests sent`);
  assert.ok(run.requestsPerSecond > 0, `${name}: throughput measured`);
  const answered = Object.values(run.statusCounts).reduce((a, b) => a + b, 0);
  assert.ok(answered > 0, `${name}: answers counted by status`);
  assert.ok((run.statusCounts["200"] ?? 0) > 0, `${name}: some 200s`);
  for (const value of Object.values(run.latencyMs)) assert.ok(Number.isFinite(value) && value >= 0, name);
  assert.ok(
    run.latencyMs.p50 <= run.latencyMs.p99 && run.latencyMs.p99 <= run.latencyMs.max,
    `${name}: percentiles ordered`,
  );
  assert.ok(run.serverCpuSeconds >= 0, `${name}: CPU measured`);
  const threads = run.threadCpuSecondsPer1000;
  assert.ok(threads, `${name}: CPU split by thread`);
  assert.ok(threads.main >= 0 && threads.rest >= 0, `${name}: thread CPU figures`);
}
