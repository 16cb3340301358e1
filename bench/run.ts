import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, release, tmpdir, totalmem, type } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { packagePath } from "../src/paths.js";
import { functionColdStart, serverColdStart } from "./cold-start.js";
import { formatProfile, profilesIn, summarizeProfile } from "./cpu-profile.js";
import { drive } from "./drive.js";
import type { LoadJob, TrafficSpec } from "./load-protocol.js";
import { type PgbenchResult, pgbenchRun } from "./pgbench.js";
import { killAll, peakRssMb } from "./processes.js";
import { replayBench } from "./replay-bench.js";
import { renderSummary, writeDocs } from "./report.js";
import type {
  AlertsCheck,
  BenchResults,
  BigEventsResult,
  DatabaseCheck,
  ProfileResult,
  TargetResult,
} from "./results-format.js";
import { type SqliteFloorResult, sqliteFloorRun } from "./sqlite-floor.js";
import {
  alertDestinationStandIn,
  BENCH_SECRET,
  dropActiveSchemas,
  postgresUnavailable,
  startTarget,
  TARGETS,
  type TargetName,
} from "./targets.js";

/**
 * `npm run bench`: starts each target server in its own process on 127.0.0.1, drives it
 * from a separate load-generator process, records the figures in bench/results/<date>.json
 * and regenerates docs/benchmarks.md from them. `--quick` (or BENCH_QUICK=1) is the
 * seconds-long smoke version; `--profile` CPU-profiles portcall on SQLite instead;
 * `--dashboard` times the dashboard's pages with 100k events instead.
 */
interface Settings {
  readonly quick: boolean;
  readonly connections: number[];
  readonly warmupSeconds: number;
  readonly seconds: number;
  readonly rate: number;
  readonly rateSeconds: number;
  readonly pool: number;
  readonly coldRuns: number;
  readonly replayEvents: number;
  readonly bigBodies: number;
  readonly targets: TargetName[];
  readonly budgetMs: number;
}

const BIG_BODY_BYTES = 8 * 1024 * 1024 - 4096;
const BIG_EVENTS_SETTLE_MS = 5000;

function settingsFor(quick: boolean, only: string | undefined): Settings {
  const all: TargetName[] = quick
    ? [
        "ceiling",
        "naive-peer",
        "minimal-peer",
        "portcall-sqlite",
        "portcall-sqlite-alerts",
        "portcall-postgres",
      ]
    : [
        "ceiling",
        "naive-peer",
        "minimal-peer",
        "portcall-sqlite",
        "portcall-sqlite-info",
        "portcall-sqlite-alerts",
        "portcall-postgres",
      ];
  const targets = only === undefined ? all : (only.split(",").map((s) => s.trim()) as TargetName[]);
  for (const name of targets) {
    if (!(name in TARGETS))
      throw new Error(`--only: unknown target "${name}" (known: ${Object.keys(TARGETS).join(", ")})`);
  }
  return quick
    ? {
        quick,
        connections: [64],
        warmupSeconds: 0,
        seconds: 1,
        rate: 500,
        rateSeconds: 1,
        pool: 10_000,
        coldRuns: 1,
        replayEvents: 1000,
        bigBodies: 2,
        targets,
        budgetMs: 120_000,
      }
    : {
        quick,
        connections: [8, 64],
        warmupSeconds: 2,
        seconds: 10,
        rate: 1000,
        rateSeconds: 10,
        pool: 60_000,
        coldRuns: 5,
        replayEvents: 200_000,
        bigBodies: 8,
        targets,
        budgetMs: 570_000,
      };
}

function argValue(args: readonly string[], name: string): string | undefined {
  const at = args.indexOf(name);
  if (at < 0) return undefined;
  const value = args[at + 1];
  if (value === undefined || value.startsWith("--")) throw new Error(`${name} needs a value`);
  return value;
}

const tempDirs: string[] = [];
function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}
function removeTempDirs(): void {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

let caseCounter = 0;
function traffic(pool: number, extra: Partial<TrafficSpec> = {}): TrafficSpec {
  caseCounter++;
  // Disjoint id ranges per case: ids are new to the database unless deliberately redelivered.
  return {
    idBase: 7_000_000_000 + caseCounter * 10_000_000,
    seed: caseCounter,
    secret: BENCH_SECRET,
    pool,
    ...extra,
  };
}

function log(line: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}

async function checkDatabase(ids: Set<string>, stored: Set<string>): Promise<DatabaseCheck> {
  let missing = 0;
  for (const id of stored) if (!ids.has(id)) missing++;
  return { acknowledgedStored: stored.size, rows: ids.size, missing };
}

async function measureTarget(
  name: TargetName,
  settings: Settings,
  workDir: string,
  pgSkip: string | undefined,
): Promise<TargetResult> {
  const spec = TARGETS[name];
  if (name === "portcall-postgres" && pgSkip !== undefined)
    return { name, label: spec.label, skipped: pgSkip, runs: {} };
  log(`${name}: starting`);
  const standIn = usesStandIn(name) ? await alertDestinationStandIn() : undefined;
  const receivedBefore = standIn?.received() ?? 0;
  const target = await startTarget(spec, workDir);
  const runs: TargetResult["runs"] = {};
  const stored = new Set<string>();
  let whenC64Stopped: AlertsCheck["whenC64Stopped"];
  const timeout = (seconds: number) => (seconds + settings.warmupSeconds) * 1000 + 60_000;
  try {
    for (const connections of settings.connections) {
      const job: LoadJob = {
        mode: "closed",
        url: target.webhookUrl,
        connections,
        warmupSeconds: settings.warmupSeconds,
        seconds: settings.seconds,
        traffic: traffic(settings.pool),
      };
      const { run, storedIds } = await drive(job, target.pid, timeout(settings.seconds));
      for (const id of storedIds) stored.add(id);
      runs[`c${connections}`] = run;
      if (connections === 64 && standIn !== undefined && target.alertsMatching !== undefined)
        whenC64Stopped = { matching: target.alertsMatching(), sent: standIn.received() - receivedBefore };
      log(`${name}: ${connections} connections: ${run.requestsPerSecond} req/s, p99 ${run.latencyMs.p99} ms`);
    }
    const job: LoadJob = {
      mode: "open",
      url: target.webhookUrl,
      rate: settings.rate,
      seconds: settings.rateSeconds,
      maxInFlight: 1024,
      traffic: traffic(Math.ceil(settings.rate * settings.rateSeconds) + 10),
    };
    const { run, storedIds } = await drive(job, target.pid, timeout(settings.rateSeconds));
    for (const id of storedIds) stored.add(id);
    runs[`rate${settings.rate}`] = run;
    log(`${name}: ${settings.rate} req/s offered: p50 ${run.latencyMs.p50} ms, p99 ${run.latencyMs.p99} ms`);
    const peak = peakRssMb(target.pid);
    const alerts =
      standIn !== undefined && target.alertsMatching !== undefined
        ? {
            ...(whenC64Stopped !== undefined ? { whenC64Stopped } : {}),
            ...(await alertsCaughtUp(target.alertsMatching(), () => standIn.received() - receivedBefore)),
          }
        : undefined;
    if (alerts) log(`${name}: alerts: ${JSON.stringify(alerts)}`);
    await target.stop();
    const database = name === "ceiling" ? undefined : await checkDatabase(await target.storedIds(), stored);
    if (database)
      log(
        `${name}: database check: ${database.acknowledgedStored} acknowledged, ${database.missing} missing`,
      );
    return {
      name,
      label: spec.label,
      runs,
      peakRssMb: peak,
      ...(database ? { database } : {}),
      ...(alerts ? { alerts } : {}),
    };
  } finally {
    await target.stop();
    await target.cleanup().catch(() => undefined);
  }
}

/** Which code was measured, so the spread over a day's runs compares the same code only. */
function codeVersion(): { code?: string } {
  const described = spawnSync("git", ["describe", "--always", "--dirty"], {
    cwd: packagePath(),
    encoding: "utf8",
  });
  const code = described.status === 0 ? described.stdout.trim() : "";
  return code === "" ? {} : { code };
}

const usesStandIn = (name: TargetName) => name === "portcall-sqlite-alerts";

/**
 * Whether the alerts target did its alert work while it was measured: how many alerts and
 * forwards the stand-in had when the load stopped, and how long the rest took (at most 30 s).
 */
async function alertsCaughtUp(matching: number, received: () => number): Promise<AlertsCheck> {
  const stopped = Date.now();
  const sentWhenLoadStopped = received();
  while (received() < matching && Date.now() - stopped < 30_000) await sleep(50);
  return {
    matching,
    sentWhenLoadStopped,
    caughtUpAfterMs: received() >= matching ? Date.now() - stopped : null,
  };
}

async function bigEvents(
  settings: Settings,
  workDir: string,
  options: { target?: TargetName; settleMs?: number } = {},
): Promise<BigEventsResult> {
  const connections = Math.min(4, settings.bigBodies);
  log(`8 MiB events: ${settings.bigBodies} bodies of ${BIG_BODY_BYTES} bytes, ${connections} connections`);
  const target = await startTarget(TARGETS[options.target ?? "portcall-sqlite"], workDir);
  try {
    const job: LoadJob = {
      mode: "closed",
      url: target.webhookUrl,
      connections,
      warmupSeconds: 0,
      seconds: 60,
      amount: settings.bigBodies,
      traffic: traffic(settings.bigBodies, {
        fixedBytes: BIG_BODY_BYTES,
        redeliveryRate: 0,
        badSignatureRate: 0,
      }),
    };
    const { run, storedIds } = await drive(job, target.pid, 120_000);
    // What the server does after answering (the dashboard's fold) counts too, when asked.
    if (options.settleMs !== undefined) await new Promise((resolve) => setTimeout(resolve, options.settleMs));
    const peak = peakRssMb(target.pid);
    await target.stop();
    const database = await checkDatabase(await target.storedIds(), new Set(storedIds));
    return { bodyBytes: BIG_BODY_BYTES, connections, run, peakRssMb: peak, database };
  } finally {
    await target.stop();
    await target.cleanup().catch(() => undefined);
  }
}

function ratio(a: number | undefined, b: number | undefined): number | null {
  return a === undefined || b === undefined || b === 0 ? null : Math.round((a / b) * 1000) / 1000;
}

function ratios(targets: TargetResult[], connections: number[]): Record<string, number | null> {
  const rps = (name: TargetName, c: number) =>
    targets.find((t) => t.name === name && !t.skipped && !t.error)?.runs[`c${c}`]?.requestsPerSecond;
  const out: Record<string, number | null> = {};
  for (const c of connections) {
    for (const portcall of [
      "portcall-sqlite",
      "portcall-sqlite-info",
      "portcall-sqlite-alerts",
      "portcall-postgres",
    ] as const) {
      if (!targets.some((t) => t.name === portcall)) continue;
      out[`${portcall}/ceiling@c${c}`] = ratio(rps(portcall, c), rps("ceiling", c));
      out[`${portcall}/naive-peer@c${c}`] = ratio(rps(portcall, c), rps("naive-peer", c));
      out[`${portcall}/minimal-peer@c${c}`] = ratio(rps(portcall, c), rps("minimal-peer", c));
    }
  }
  return out;
}

async function runBench(args: readonly string[]): Promise<void> {
  const quick = args.includes("--quick") || process.env.BENCH_QUICK === "1";
  const settings = settingsFor(quick, argValue(args, "--only"));
  const started = new Date();
  const began = performance.now();
  const day = started.toISOString().slice(0, 10);
  const out =
    argValue(args, "--out") ??
    (quick
      ? join(tmpdir(), `portcall-bench-quick-${day}.json`)
      : args.includes("--targets-only")
        ? join(tmpdir(), `portcall-bench-targets-${day}.json`)
        : // A run's start time in the name, so the day's runs sit side by side for the spread.
          packagePath(
            "bench",
            "results",
            `${day}-${started.toISOString().slice(11, 16).replace(":", "")}.json`,
          ));
  const workDir = tempDir("portcall-bench-");
  const notes: string[] = [
    "Closed-loop runs use autocannon (one request in flight per connection); their latency histogram has 1 ms resolution and counts 2xx only.",
    `The fixed-rate run is a bounded open-loop sender (its own, node:http keep-alive): request i leaves at start + i/rate and its latency counts from that scheduled time, so queueing shows; at most 1024 in flight, beyond that requests are counted as dropped.`,
    "Server CPU is user+system time of the server process (all threads) during the measured phase; PostgreSQL's own CPU is not included.",
    "The load generator runs on the same machine and cores as the server.",
  ];
  const cleanups = () => {
    killAll();
    removeTempDirs();
  };
  const budget = setTimeout(() => {
    log(`time budget of ${settings.budgetMs / 1000} s exceeded; stopping`);
    cleanups();
    process.exit(2);
  }, settings.budgetMs);
  budget.unref();
  try {
    const pgSkip = await postgresUnavailable();
    if (pgSkip) notes.push(`portcall on PostgreSQL skipped: ${pgSkip}`);
    const load = loadavg();
    const targets: TargetResult[] = [];
    for (const name of settings.targets) {
      try {
        targets.push(await measureTarget(name, settings, workDir, pgSkip));
      } catch (error) {
        log(`${name}: failed: ${(error as Error).message}`);
        targets.push({
          name,
          label: TARGETS[name].label,
          error: (error as Error).message.slice(0, 2000),
          runs: {},
        });
      }
    }
    let pgbench: PgbenchResult | undefined;
    if (settings.targets.includes("portcall-postgres")) {
      if (pgSkip) pgbench = { skipped: pgSkip };
      else {
        log(`pgbench: one jsonb row per transaction at ${settings.rate} tps, 8 clients`);
        pgbench = await pgbenchRun(workDir, {
          rate: settings.rate,
          clients: 8,
          seconds: settings.rateSeconds,
        }).catch((e: Error) => ({ error: e.message.slice(0, 2000) }));
        log(`pgbench: p99 ${pgbench.latencyMs?.p99 ?? "–"} ms ${pgbench.error ?? pgbench.skipped ?? ""}`);
      }
    }
    let sqliteFloor: SqliteFloorResult | undefined;
    if (settings.targets.includes("portcall-sqlite")) {
      log(`SQLite floor: ~3 KB rows group-committed (fsync-durable) at ${settings.rate}/s`);
      sqliteFloor = await sqliteFloorRun(workDir, { rate: settings.rate, seconds: settings.rateSeconds });
      log(`SQLite floor: p99 ${sqliteFloor.latencyMs?.p99 ?? "–"} ms ${sqliteFloor.error ?? ""}`);
    }
    // --targets-only: the closed-loop and fixed-rate runs alone, for iterating on the hot path.
    const targetsOnly = args.includes("--targets-only");
    const notRun = { skipped: "not run (--targets-only)" };
    // Peaks are read a few seconds after the last answer, so that what the server does after
    // answering (the dashboard's fold of those events) counts as well.
    const bigCase = async (target: TargetName): Promise<BigEventsResult> => {
      if (targetsOnly) return { error: notRun.skipped };
      if (target === "portcall-postgres" && pgSkip !== undefined) return { skipped: pgSkip };
      return bigEvents(settings, workDir, { target, settleMs: BIG_EVENTS_SETTLE_MS }).catch(
        (error: Error) => ({
          error: error.message.slice(0, 2000),
        }),
      );
    };
    const big = await bigCase("portcall-sqlite");
    const bigPostgres = await bigCase("portcall-postgres");
    let profile: ProfileResult | { skipped: string } | undefined;
    if (!quick && !targetsOnly && !args.includes("--no-profile")) {
      log("CPU profile: portcall-sqlite at 64 connections");
      profile = await profilePortcall(settings.seconds, settings.pool, workDir, 12).then(
        // The folder stays in the OS temp dir for flame graphs; the results file does not name it.
        ({ dir, ...rest }) => {
          log(`CPU profiles: ${dir}`);
          return rest;
        },
        (e: Error) => ({ skipped: `failed: ${e.message.slice(0, 2000)}` }),
      );
    }
    if (!targetsOnly) log(`cold start: ${settings.coldRuns} run(s) each`);
    const server = targetsOnly
      ? notRun
      : await serverColdStart(workDir, settings.coldRuns).catch((e: Error) => ({
          skipped: `failed: ${e.message}`,
        }));
    const fn = targetsOnly
      ? notRun
      : await functionColdStart(workDir, settings.coldRuns).catch((e: Error) => ({
          skipped: `failed: ${e.message}`,
        }));
    if (!targetsOnly) log(`replay: ${settings.replayEvents} archived events`);
    // Whatever budget is left, less a margin to write the results, bounds each replay.
    const timeLeft = () =>
      Math.max(10_000, Math.min(240_000, settings.budgetMs - (performance.now() - began) - 20_000));
    const replay = targetsOnly
      ? notRun
      : await replayBench(workDir, settings.replayEvents, pgSkip, timeLeft).catch((e: Error) => ({
          skipped: `failed: ${e.message.slice(0, 2000)}`,
        }));
    const results: BenchResults = {
      version: 1,
      date: day,
      ...codeVersion(),
      startedAt: started.toISOString(),
      durationSeconds: Math.round((performance.now() - began) / 1000),
      mode: quick ? "quick" : "full",
      command:
        process.env.npm_lifecycle_event === "bench"
          ? "npm run bench"
          : `node dist/bench/run.js ${args.join(" ")}`.trim(),
      machine: {
        cpu: cpus()[0]?.model ?? "unknown",
        cores: cpus().length,
        memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
        node: process.version,
        kernel: `${type()} ${release()}`,
        loadAverageAtStart: load.map((v) => Math.round(v * 100) / 100),
        loadAverageAtEnd: loadavg().map((v) => Math.round(v * 100) / 100),
      },
      settings: {
        connections: settings.connections,
        warmupSeconds: settings.warmupSeconds,
        seconds: settings.seconds,
        offeredRate: settings.rate,
        rateSeconds: settings.rateSeconds,
        pool: settings.pool,
        traffic:
          "signed Flexport v2 events with unique ids, ~1-50 KB (85% under 5 KB, mostly 2-5 KB; the project's samples for sizes they fit, events shaped like the test fixtures otherwise), ~5% byte-exact redeliveries, ~1% bad signatures, pre-generated before each run (a pool that wraps, counted as 'wrapped', when a fast target sends more)",
      },
      targets,
      ratios: ratios(targets, settings.connections),
      ...(pgbench ? { pgbench } : {}),
      ...(sqliteFloor ? { sqliteFloor } : {}),
      coldStart: { server, function: fn },
      replay,
      bigEvents: big,
      bigEventsPostgres: bigPostgres,
      ...(profile ? { profile } : {}),
      notes,
    };
    mkdirSync(join(out, ".."), { recursive: true });
    writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
    log(`results: ${out}`);
    if (!quick && !targetsOnly && !args.includes("--no-docs")) {
      writeDocs(out);
      log("docs/benchmarks.md regenerated");
    }
    process.stdout.write(`${renderSummary(results)}\n`);
  } finally {
    clearTimeout(budget);
    cleanups();
  }
}

/** portcall on SQLite under --cpu-prof at 64 connections; the top self-time functions per thread. */
async function profilePortcall(
  seconds: number,
  pool: number,
  workDir: string,
  limit: number,
): Promise<ProfileResult & { dir: string }> {
  const profileDir = mkdtempSync(join(tmpdir(), "portcall-cpu-profile-"));
  const target = await startTarget(
    TARGETS[(process.env.BENCH_PROFILE_TARGET ?? "portcall-sqlite") as TargetName],
    workDir,
    {
      nodeArgs: ["--cpu-prof", `--cpu-prof-dir=${profileDir}`],
    },
  );
  let requestsPerSecond = 0;
  try {
    const job: LoadJob = {
      mode: "closed",
      url: target.webhookUrl,
      connections: 64,
      warmupSeconds: 1,
      seconds,
      traffic: traffic(pool),
    };
    const { run } = await drive(job, target.pid, (seconds + 60) * 1000);
    requestsPerSecond = run.requestsPerSecond;
    log(`profiled run: ${run.requestsPerSecond} req/s, p99 ${run.latencyMs.p99} ms (slower than unprofiled)`);
  } finally {
    // A graceful stop, so node writes the profiles on exit.
    await target.stop();
    await target.cleanup();
  }
  const threads = profilesIn(profileDir).map((file) => summarizeProfile(file, limit));
  if (threads.length === 0) throw new Error(`no .cpuprofile written in ${profileDir}`);
  writeFileSync(join(profileDir, "summary.json"), `${JSON.stringify(threads, null, 2)}\n`);
  return { connections: 64, seconds, requestsPerSecond, dir: profileDir, threads };
}

/**
 * `--big-events [--target portcall-postgres] [--settle-ms 8000]`: only the 8 MiB case, printed
 * (for working on memory); --settle-ms waits before reading the peak, so that work the server
 * does after answering (the dashboard's fold) is counted.
 */
async function runBigEvents(args: readonly string[]): Promise<void> {
  const quick = args.includes("--quick") || process.env.BENCH_QUICK === "1";
  const workDir = tempDir("portcall-bench-");
  const target = (argValue(args, "--target") ?? "portcall-sqlite") as TargetName;
  if (!(target in TARGETS)) throw new Error(`--target: unknown target "${target}"`);
  const settle = argValue(args, "--settle-ms");
  try {
    const result = await bigEvents(settingsFor(quick, undefined), workDir, {
      target,
      ...(settle !== undefined ? { settleMs: Number(settle) } : {}),
    });
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } finally {
    killAll();
    removeTempDirs();
  }
}

/** `--profile`: only the profile, printed. */
async function runProfile(args: readonly string[]): Promise<void> {
  const quick = args.includes("--quick") || process.env.BENCH_QUICK === "1";
  const workDir = tempDir("portcall-bench-");
  try {
    const result = await profilePortcall(quick ? 2 : 10, quick ? 20_000 : 60_000, workDir, quick ? 10 : 25);
    for (const summary of result.threads) process.stdout.write(`${formatProfile(summary)}\n\n`);
    process.stdout.write(
      `profiles and summary.json: ${result.dir} (open a .cpuprofile in Chrome DevTools for a flame graph)\n`,
    );
  } finally {
    killAll();
    removeTempDirs();
  }
}

const args = process.argv.slice(2);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    killAll();
    removeTempDirs();
    // Bounded: an unreachable database must not keep an interrupted bench alive.
    const exit = () => process.exit(130);
    setTimeout(exit, 3000).unref();
    dropActiveSchemas().then(exit, exit);
  });
}
process.once("exit", killAll);
// `--dashboard`: only the dashboard pages with real volume (bench/dashboard-bench.ts).
const run = args.includes("--dashboard")
  ? import("./dashboard-bench.js").then(({ main }) => main(args))
  : args.includes("--profile")
    ? runProfile(args)
    : args.includes("--big-events")
      ? runBigEvents(args)
      : runBench(args);
run.catch((error: unknown) => {
  log(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  killAll();
  process.exitCode = 1;
});
