import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { packagePath } from "../src/paths.js";
import { dashboardSectionOf, withDashboardSection } from "./dashboard-section.js";
import type { DrivenRun } from "./drive.js";
import type { ReplayResult } from "./replay-bench.js";
import type { BenchResults, DatabaseCheck, TargetResult } from "./results-format.js";

/**
 * Renders docs/benchmarks.md from a results file, so the docs and the JSON always agree:
 * `node dist/bench/report.js [bench/results/<date>.json]` (default: the newest full run).
 */

interface Verdict {
  readonly target: string;
  readonly measured: string;
  readonly verdict: string;
}

const fmt = (n: number | undefined | null, digits = 0): string =>
  n === undefined || n === null || Number.isNaN(n)
    ? "–"
    : n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });

function statuses(run: DrivenRun | undefined): string {
  if (!run) return "–";
  const parts = Object.entries(run.statusCounts).map(([code, count]) => `${code}: ${count}`);
  if (run.errors > 0) parts.push(`errors: ${run.errors}`);
  if (run.timeouts > 0) parts.push(`timeouts: ${run.timeouts}`);
  if ((run.dropped ?? 0) > 0) parts.push(`dropped: ${run.dropped}`);
  return parts.join(", ") || "none";
}

function dbCheck(check: DatabaseCheck | undefined): string {
  if (!check) return "–";
  return `${fmt(check.acknowledgedStored)} acked, ${fmt(check.rows)} rows, ${check.missing} missing`;
}

function latency(run: DrivenRun | undefined): string {
  if (!run) return "–";
  const l = run.latencyMs;
  return `${fmt(l.p50, 2)} / ${fmt(l.p99, 2)} / ${fmt(l.p99_9, 2)}`;
}

const partial = (note: string | undefined) => (note ? ` (partial: ${note})` : "");

function usable(t: TargetResult): boolean {
  return t.skipped === undefined && t.error === undefined;
}

function atLeast(value: number | undefined | null, goal: number, unit: string, digits = 0): string {
  if (value === undefined || value === null) return "not measured";
  if (value >= goal) return `met (${fmt(value, digits)}${unit} ≥ ${fmt(goal, digits)}${unit})`;
  return `missed by ${fmt(((goal - value) / goal) * 100, 0)}% (${fmt(value, digits)}${unit}, target ${fmt(goal, digits)}${unit})`;
}

function atMost(value: number | undefined | null, goal: number, unit: string, digits = 0): string {
  if (value === undefined || value === null) return "not measured";
  if (value <= goal) return `met (${fmt(value, digits)}${unit} ≤ ${fmt(goal, digits)}${unit})`;
  return `missed by ${fmt(value - goal, digits)}${unit} (${fmt(value, digits)}${unit}, target ≤ ${fmt(goal, digits)}${unit}; ${fmt(value / goal, 1)}×)`;
}

/** Alerts' cost: portcall with one Slack rule and one forwarding rule against portcall without, same run. */
function alertsVerdict(r: BenchResults, c: number): Verdict {
  const rps = (name: string) =>
    r.targets.find((t) => t.name === name && usable(t))?.runs[`c${c}`]?.requestsPerSecond;
  const on = rps("portcall-sqlite-alerts");
  const off = rps("portcall-sqlite");
  const cost = on === undefined || off === undefined || off === 0 ? undefined : (1 - on / off) * 100;
  return {
    target: `throughput at ${c} connections with one Slack alert rule and one forwarding rule (local stand-ins) within 10% of without`,
    measured:
      cost === undefined
        ? "–"
        : `${fmt(cost, 1)}% ${cost >= 0 ? "lower" : "higher"} (${fmt(on)} vs ${fmt(off)} req/s)`,
    verdict: atMost(cost === undefined ? undefined : Math.max(0, cost), 10, "%", 1),
  };
}

export function verdicts(r: BenchResults): Verdict[] {
  const target = (name: string) => r.targets.find((t) => t.name === name && usable(t));
  const rate = `rate${r.settings.offeredRate}`;
  const c = r.settings.connections.includes(64) ? 64 : (r.settings.connections.at(-1) ?? 64);
  const replay = "sqlite" in r.replay ? (r.replay as ReplayResult) : undefined;
  const portcalls = r.targets.filter((t) => t.name.startsWith("portcall") && usable(t));
  const rss = [...portcalls.map((t) => t.peakRssMb ?? 0), r.bigEvents.peakRssMb ?? 0];
  const missing = [...portcalls.map((t) => t.database?.missing ?? 0), r.bigEvents.database?.missing ?? 0];
  const rps = (name: string) => target(name)?.runs[`c${c}`]?.requestsPerSecond;
  const cpu = (name: string) => target(name)?.runs[`c${c}`]?.cpuSecondsPer1000;
  const pgbenchP99 = r.pgbench?.latencyMs?.p99;
  const pgP99 = target("portcall-postgres")?.runs[rate]?.latencyMs.p99;
  const out: Verdict[] = [
    {
      target: `portcall/SQLite throughput at ${c} connections ≥ 1.0× the minimal peer`,
      measured: `${fmt(r.ratios[`portcall-sqlite/minimal-peer@c${c}`], 2)}× (${fmt(rps("portcall-sqlite"))} vs ${fmt(rps("minimal-peer"))} req/s)`,
      verdict: atLeast(r.ratios[`portcall-sqlite/minimal-peer@c${c}`], 1, "×", 2),
    },
    {
      target: `portcall/SQLite CPU per delivery at ${c} connections ≤ the minimal peer's`,
      measured: `${fmt(cpu("portcall-sqlite"), 3)} ms vs ${fmt(cpu("minimal-peer"), 3)} ms`,
      verdict: atMost(cpu("portcall-sqlite"), cpu("minimal-peer") ?? NaN, " ms", 3),
    },
    {
      target: `portcall/SQLite throughput at ${c} connections ≥ 4× the naive peer`,
      measured: `${fmt(r.ratios[`portcall-sqlite/naive-peer@c${c}`], 2)}×`,
      verdict: atLeast(r.ratios[`portcall-sqlite/naive-peer@c${c}`], 4, "×", 2),
    },
    {
      target: `p99 ≤ 5 ms at ${fmt(r.settings.offeredRate)} req/s offered, SQLite`,
      measured: `${fmt(target("portcall-sqlite")?.runs[rate]?.latencyMs.p99, 2)} ms (SQLite's own floor ${fmt(r.sqliteFloor?.latencyMs?.p99, 2)} ms, minimal peer ${fmt(target("minimal-peer")?.runs[rate]?.latencyMs.p99, 2)} ms)`,
      verdict: atMost(target("portcall-sqlite")?.runs[rate]?.latencyMs.p99, 5, " ms", 2),
    },
    {
      target: `p99 ≤ pgbench's p99 + 2 ms at ${fmt(r.settings.offeredRate)} req/s offered, PostgreSQL`,
      measured: `${fmt(pgP99, 2)} ms (pgbench ${fmt(pgbenchP99, 2)} ms)`,
      verdict:
        pgbenchP99 === undefined
          ? (r.pgbench?.skipped ?? r.pgbench?.error ?? "not measured")
          : atMost(pgP99, pgbenchP99 + 2, " ms", 2),
    },
    {
      target: "peak RSS ≤ 200 MB (portcall runs, 8 MiB events included)",
      measured: `${fmt(Math.max(...rss), 1)} MB`,
      verdict: atMost(Math.max(...rss), 200, " MB", 1),
    },
    {
      target: "replay ≥ 20,000 events/s into SQLite",
      measured: `${fmt(replay?.sqlite.eventsPerSecond)} events/s (${fmt(replay?.sqlite.events)} events)`,
      verdict:
        replay?.sqlite.skipped ??
        atLeast(replay?.sqlite.eventsPerSecond, 20_000, "/s") + partial(replay?.sqlite.partial),
    },
    {
      target: "replay ≥ 10,000 events/s into PostgreSQL",
      measured: `${fmt(replay?.postgres.eventsPerSecond)} events/s (${fmt(replay?.postgres.events)} events)`,
      verdict:
        replay?.postgres.skipped ??
        atLeast(replay?.postgres.eventsPerSecond, 10_000, "/s") + partial(replay?.postgres.partial),
    },
    {
      target: "server cold start to first 200 ≤ 300 ms",
      measured: `median ${fmt(r.coldStart.server.medianMs)} ms`,
      verdict: r.coldStart.server.skipped ?? atMost(r.coldStart.server.medianMs, 300, " ms"),
    },
    {
      target: "function cold start to first 200 ≤ 250 ms",
      measured: `median ${fmt(r.coldStart.function.medianMs)} ms`,
      verdict: r.coldStart.function.skipped ?? atMost(r.coldStart.function.medianMs, 250, " ms"),
    },
    {
      target: "function entry point loads no PostgreSQL driver or cloud SDK it does not use",
      measured: r.coldStart.function.loadedPackages
        ? `unused heavy packages loaded: ${r.coldStart.function.unusedHeavyPackagesLoaded?.join(", ") || "none"}`
        : "–",
      verdict:
        r.coldStart.function.skipped ??
        (r.coldStart.function.unusedHeavyPackagesLoaded?.length === 0
          ? "met"
          : `missed (${r.coldStart.function.unusedHeavyPackagesLoaded?.join(", ")})`),
    },
    alertsVerdict(r, c),
    {
      target: 'every 2xx "stored" is in the database',
      measured: `${missing.reduce((a, b) => a + b, 0)} acknowledged ids missing`,
      verdict: missing.every((m) => m === 0) ? "met" : "MISSED: acknowledged events are missing",
    },
  ];
  return out;
}

export function renderSummary(r: BenchResults): string {
  const lines: string[] = [];
  const cs = r.settings.connections;
  const rate = `rate${r.settings.offeredRate}`;
  lines.push("### Throughput (closed loop, autocannon)", "");
  const head = ["target"];
  for (const c of cs)
    head.push(`${c} conn req/s`, `${c} conn p50 / p99 / p99.9 ms`, `${c} conn CPU s per 1k`);
  head.push("peak RSS MB", `status codes (${cs.at(-1)} conn)`, "database check (all runs)");
  lines.push(`| ${head.join(" | ")} |`, `|${head.map(() => "---").join("|")}|`);
  for (const t of r.targets) {
    if (!usable(t)) {
      lines.push(
        `| ${t.name} | ${t.skipped ? `skipped: ${t.skipped}` : `failed: ${(t.error ?? "").split("\n")[0]}`} |`,
      );
      continue;
    }
    const row: string[] = [t.name];
    for (const c of cs) {
      const run = t.runs[`c${c}`];
      row.push(fmt(run?.requestsPerSecond), latency(run), fmt(run?.cpuSecondsPer1000, 3));
    }
    row.push(fmt(t.peakRssMb, 1), statuses(t.runs[`c${cs.at(-1)}`]), dbCheck(t.database));
    lines.push(`| ${row.join(" | ")} |`);
  }
  lines.push(
    "",
    `### Latency at a fixed offered rate (${fmt(r.settings.offeredRate)} req/s, open loop, ${r.settings.rateSeconds} s)`,
    "",
  );
  lines.push(
    "| target | achieved req/s | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | CPU s per 1k | status codes |",
  );
  lines.push("|---|---|---|---|---|---|---|---|---|");
  for (const t of r.targets.filter(usable)) {
    const run = t.runs[rate];
    const l = run?.latencyMs;
    lines.push(
      `| ${t.name} | ${fmt(run?.requestsPerSecond)} | ${fmt(l?.p50, 2)} | ${fmt(l?.p90, 2)} | ${fmt(l?.p99, 2)} | ${fmt(l?.p99_9, 2)} | ${fmt(l?.max, 2)} | ${fmt(run?.cpuSecondsPer1000, 3)} | ${statuses(run)} |`,
    );
  }
  lines.push(
    "",
    "### CPU per delivery by thread (ms, from /proc/<pid>/task/<tid>/stat, 10 ms ticks)",
    "",
    "The main thread; the two busiest other threads (portcall on SQLite: the writer, then the WAL",
    "checkpointer or a V8 helper; Node 20 names every thread `node`, so threads are ranked, not named);",
    "all other threads together (V8's GC and compiler helpers, libuv's pool).",
    "",
    "| target | run | total | main | 2nd thread | 3rd thread | rest |",
    "|---|---|---|---|---|---|---|",
  );
  for (const t of r.targets.filter(usable)) {
    for (const key of [`c${cs.at(-1)}`, rate]) {
      const run = t.runs[key];
      const th = run?.threadCpuSecondsPer1000;
      if (!run || !th) continue;
      lines.push(
        `| ${t.name} | ${key} | ${fmt(run.cpuSecondsPer1000, 3)} | ${fmt(th.main, 3)} | ${fmt(th.busiestOthers[0], 3)} | ${fmt(th.busiestOthers[1], 3)} | ${fmt(th.rest, 3)} |`,
      );
    }
  }
  if (r.pgbench) {
    const p = r.pgbench;
    lines.push("", "### pgbench (PostgreSQL's own floor at the fixed rate)", "");
    if (p.skipped || p.error || !p.latencyMs) lines.push(p.skipped ?? `failed: ${p.error}`);
    else {
      const l = p.latencyMs;
      lines.push(
        `\`${p.command}\`: one ${p.payloadBytes}-byte jsonb row per transaction into a throwaway table, ${fmt(p.transactions)} transactions (${fmt(p.transactionsPerSecond)}/s), latency from each transaction's scheduled start (per-transaction log): p50 ${fmt(l.p50, 2)}, p90 ${fmt(l.p90, 2)}, p99 ${fmt(l.p99, 2)}, p99.9 ${fmt(l.p99_9, 2)}, max ${fmt(l.max, 2)} ms.`,
      );
    }
  }
  if (r.sqliteFloor) {
    const f = r.sqliteFloor;
    lines.push("", "### SQLite floor (group-committed, fsync-durable rows at the fixed rate)", "");
    if (f.skipped || f.error || !f.latencyMs) lines.push(f.skipped ?? `failed: ${f.error}`);
    else {
      const l = f.latencyMs;
      lines.push(
        `\`node dist/bench/sqlite-floor.js <dir> ${fmt(f.rate)} ${fmt(f.seconds)}\`: ${fmt(f.rows)} rows of ${fmt(f.payloadBytes)} bytes due at ${fmt(f.rate)}/s, each committed with every row due by then (${fmt(f.commits)} commits) into a one-table WAL database with synchronous=FULL on the targets' filesystem, latency from each row's scheduled time: p50 ${fmt(l.p50, 2)}, p90 ${fmt(l.p90, 2)}, p99 ${fmt(l.p99, 2)}, p99.9 ${fmt(l.p99_9, 2)}, max ${fmt(l.max, 2)} ms. No receiver can answer a durable delivery before a commit like this one.`,
      );
    }
  }
  lines.push("", "### Ratios (throughput)", "", "| ratio | value |", "|---|---|");
  for (const [name, value] of Object.entries(r.ratios)) lines.push(`| ${name} | ${fmt(value, 3)} |`);
  lines.push("", "### Cold start (process start to first 200 on a signed delivery)", "");
  lines.push("| entry point | median ms | runs ms | note |", "|---|---|---|---|");
  for (const [name, c] of Object.entries(r.coldStart)) {
    const note =
      c.skipped ??
      (c.loadedPackages
        ? `${c.loadedPackages.length} packages loaded before the first 200; of pg, @google-cloud/storage, @google-cloud/bigquery, better-sqlite3, fastify: ${c.unusedHeavyPackagesLoaded?.join(", ") || "none"}`
        : "");
    lines.push(
      `| ${name} | ${fmt(c.medianMs, 1)} | ${c.runsMs?.map((v) => fmt(v, 1)).join(", ") ?? "–"} | ${note} |`,
    );
  }
  lines.push("", "### Replay (`portcall replay file:<dir>`)", "");
  if ("skipped" in r.replay && !("sqlite" in r.replay)) lines.push(`skipped: ${r.replay.skipped}`);
  else {
    const rep = r.replay as ReplayResult;
    if (rep.archive)
      lines.push(`Archive: ${fmt(rep.archive.events)} events, ${fmt(rep.archive.mb, 1)} MB.`, "");
    lines.push(
      "| database | events | inserted | events/s | events/s incl. process start | wall s | note |",
      "|---|---|---|---|---|---|---|",
    );
    for (const [name, run] of [
      ["SQLite", rep.sqlite],
      ["PostgreSQL", rep.postgres],
    ] as const) {
      lines.push(
        `| ${name} | ${fmt(run.events)} | ${fmt(run.inserted)} | ${fmt(run.eventsPerSecond)} | ${fmt(run.wallEventsPerSecond)} | ${fmt(run.wallSeconds, 2)} | ${run.skipped ?? run.partial ?? ""} |`,
      );
    }
  }
  lines.push("", "### 8 MiB events (portcall, SQLite, separate process)", "");
  const b = r.bigEvents;
  if (b.skipped || b.error) lines.push(b.skipped ?? `failed: ${b.error}`);
  else {
    lines.push(
      `${b.run?.requests ?? 0} bodies of ${fmt(b.bodyBytes)} bytes at ${b.connections} connections: peak RSS ${fmt(b.peakRssMb, 1)} MB, ` +
        `p50 ${fmt(b.run?.latencyMs.p50)} ms, status codes: ${statuses(b.run)}; database check: ${dbCheck(b.database)}.`,
    );
  }
  if (r.profile) {
    lines.push("", "### CPU profile (portcall, SQLite, 64 connections, `--cpu-prof`)", "");
    if ("skipped" in r.profile) lines.push(`skipped: ${r.profile.skipped}`);
    else {
      lines.push(
        `${fmt(r.profile.requestsPerSecond)} req/s while profiled, ${r.profile.seconds} s. Self time by function, as a share of each thread's busy (non-idle) samples; rerun with \`--profile\` for the files.`,
      );
      const heaviest = r.profile.threads
        .map((thread, i) => {
          const top = thread.top.find((e) => !e.function.startsWith("("));
          return top
            ? `${i === 0 ? "main thread" : `thread ${i}`}: \`${top.function}\` (${fmt(top.percentOfBusy, 1)}% of busy)`
            : "";
        })
        .filter(Boolean);
      lines.push(
        "",
        `Heaviest JavaScript frames: ${heaviest.join("; ")}. Native work is charged to the JavaScript frame that called it:` +
          " better-sqlite3's `sqliteTransaction` includes the commit and its fsync, `writev` is the socket writes of the responses.",
      );
      for (const [i, thread] of r.profile.threads.entries()) {
        lines.push(
          "",
          `${i === 0 ? "Main thread" : `Thread ${i} (${i === 1 ? "the SQLite writer" : "the WAL checkpointer"})`}: ${fmt(thread.busyMs)} ms busy of ${fmt(thread.totalMs)} ms sampled.`,
          "",
        );
        lines.push("| % of busy | self ms | function | where |", "|---|---|---|---|");
        for (const e of thread.top)
          lines.push(`| ${fmt(e.percentOfBusy, 1)} | ${fmt(e.selfMs)} | ${e.function} | ${e.where} |`);
      }
    }
  }
  lines.push("", "### Targets from the issue", "", "| target | measured | verdict |", "|---|---|---|");
  for (const v of verdicts(r)) lines.push(`| ${v.target} | ${v.measured} | ${v.verdict} |`);
  return lines.join("\n");
}

/** The key figures of one run, for the spread across the day's full runs. */
function keyFigures(r: BenchResults): [string, number | undefined][] {
  const run = (name: string, key: string) => r.targets.find((t) => t.name === name && usable(t))?.runs[key];
  const rate = `rate${r.settings.offeredRate}`;
  const replay = "sqlite" in r.replay ? (r.replay as ReplayResult) : undefined;
  return [
    ["portcall-sqlite req/s @c64", run("portcall-sqlite", "c64")?.requestsPerSecond],
    ["minimal-peer req/s @c64", run("minimal-peer", "c64")?.requestsPerSecond],
    ["naive-peer req/s @c64", run("naive-peer", "c64")?.requestsPerSecond],
    ["portcall-sqlite ÷ minimal-peer @c64", r.ratios["portcall-sqlite/minimal-peer@c64"] ?? undefined],
    ["portcall-sqlite ÷ naive-peer @c64", r.ratios["portcall-sqlite/naive-peer@c64"] ?? undefined],
    ["portcall-sqlite CPU ms/delivery @c64", run("portcall-sqlite", "c64")?.cpuSecondsPer1000],
    ["minimal-peer CPU ms/delivery @c64", run("minimal-peer", "c64")?.cpuSecondsPer1000],
    ["portcall-sqlite p99 ms @1,000 req/s", run("portcall-sqlite", rate)?.latencyMs.p99],
    ["portcall-postgres p99 ms @1,000 req/s", run("portcall-postgres", rate)?.latencyMs.p99],
    ["pgbench p99 ms @1,000 tps", r.pgbench?.latencyMs?.p99],
    ["SQLite floor p99 ms @1,000 tps", r.sqliteFloor?.latencyMs?.p99],
    ["8 MiB case peak RSS MB", r.bigEvents.peakRssMb],
    ["replay SQLite events/s", replay?.sqlite.eventsPerSecond],
    ["replay PostgreSQL events/s", replay?.postgres.eventsPerSecond],
    ["server cold start median ms", r.coldStart.server.medianMs],
    ["function cold start median ms", r.coldStart.function.medianMs],
  ];
}

/** Min–max of the key figures over every full run on the same date as this one. */
function spreadAcrossRuns(r: BenchResults, resultsFile: string): string[] {
  const dir = resultsFile.slice(0, resultsFile.lastIndexOf("/"));
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.startsWith(r.date) && n.endsWith(".json"));
  } catch {
    return [];
  }
  const runs = names
    .map((n) => JSON.parse(readFileSync(`${dir}/${n}`, "utf8")) as BenchResults)
    .filter((x) => x.mode === "full" && x.version === r.version);
  if (runs.length < 2) return [];
  const digits = (v: number) => (v < 10 ? 3 : v < 100 ? 1 : 0);
  const lines = [
    `## Spread over this day's ${runs.length} full runs`,
    "",
    `Runs: ${runs.map((x) => x.startedAt.slice(11, 16)).join(", ")} UTC; load average at their starts ${runs.map((x) => x.machine.loadAverageAtStart[0]).join(", ")}.`,
    "",
    "| figure | this run | min – max | runs |",
    "|---|---|---|---|",
  ];
  const own = new Map(keyFigures(r));
  const all = runs.map(keyFigures);
  for (const [i, [name]] of keyFigures(r).entries()) {
    const values = all.map((f) => f[i]?.[1]).filter((v): v is number => v !== undefined && v !== null);
    if (values.length === 0) continue;
    const lo = Math.min(...values);
    const hi = Math.max(...values);
    const mine = own.get(name);
    lines.push(
      `| ${name} | ${mine === undefined ? "–" : fmt(mine, digits(mine))} | ${fmt(lo, digits(lo))} – ${fmt(hi, digits(hi))} | ${values.map((v) => fmt(v, digits(v))).join(", ")} |`,
    );
  }
  return [...lines, ""];
}

export function renderDocs(r: BenchResults, resultsPath: string, resultsFile = resultsPath): string {
  const m = r.machine;
  return [
    "# Benchmarks",
    "",
    "<!-- Generated by `node dist/bench/report.js` from the results file named below; edit bench/report.ts, not this file. -->",
    "",
    "Flexport waits on portcall's answer and retries when it is slow, so the receiver must absorb",
    "bursts while acknowledging only durable events. `npm run bench` measures that against three",
    "peers started in the same run, because on a shared machine ratios mean more than absolute numbers:",
    "",
    "1. **ceiling**: a bare `node:http` server that reads the body and answers 200 (`bench/servers/ceiling.ts`);",
    "2. **naive peer**: Express 5 + `express.raw()` + HMAC-SHA256 (`timingSafeEqual`) + one better-sqlite3",
    "   transaction per request, WAL, `synchronous=FULL` (`bench/servers/naive-peer.ts`), what tutorials ship;",
    "3. **minimal peer**: the cheapest server doing a receiver's essential work: `node:http`, HMAC-SHA256,",
    "   `JSON.parse`, a queue, one better-sqlite3 transaction per event-loop turn on the main thread, WAL,",
    "   `synchronous=FULL`, answering after the commit (`bench/servers/minimal-peer.ts`): the yardstick for",
    "   portcall's throughput and CPU per delivery;",
    "4. **portcall, SQLite**: `portcall serve` with `LOG_LEVEL=warn`, and again with the default `info`;",
    "5. **portcall, PostgreSQL**: `portcall serve` on a fresh schema, dropped afterwards (skipped when",
    "   unreachable), beside **pgbench** inserting one ~300-byte `jsonb` row per transaction at the same",
    "   fixed rate with 8 clients into a throwaway schema: PostgreSQL's own floor for that latency.",
    "",
    "Each server runs in its own process on 127.0.0.1 with a fresh database; the load comes from a separate",
    "process (autocannon for the closed-loop runs, a bounded open-loop sender for the fixed rate). After",
    "each portcall run every id answered 200 `stored` is looked up in the database.",
    "",
    "## Targets (from the issue)",
    "",
    "With every 2xx fsync-durable (SQLite) or committed (PostgreSQL), traffic as below: portcall/SQLite",
    "at 64 connections ≥ 1.0× the minimal peer's throughput at ≤ its CPU per delivery, and ≥ 4× the",
    "naive peer; p99 at 1,000 req/s offered ≤ 5 ms on SQLite and ≤ pgbench's p99 + 2 ms on PostgreSQL;",
    "throughput with one alert rule and one forwarding destination within 10% of without; peak RSS",
    "≤ 200 MB (8 MiB events included); replay ≥ 20,000 events/s into SQLite and ≥ 10,000 events/s into",
    "PostgreSQL (200k archived events); server cold start to first 200 ≤ 300 ms, function cold start",
    "≤ 250 ms; dashboard pages ≤ 100 ms server time at 100k events (measured separately, below).",
    "",
    "## This run",
    "",
    `- Results: \`${resultsPath}\` (${r.mode} run, ${r.durationSeconds} s, started ${r.startedAt})`,
    `- Command: \`${r.command}\``,
    `- Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.kernel}, Node.js ${m.node}`,
    `- Load average at start / end: ${m.loadAverageAtStart.join(", ")} / ${m.loadAverageAtEnd.join(", ")}` +
      " (anything well above 0 means other work shared the cores: compare ratios, not absolute numbers)",
    `- Traffic: ${r.settings.traffic}`,
    `- Closed loop: ${r.settings.warmupSeconds} s warm-up, then ${r.settings.seconds} s at each of ${r.settings.connections.join(" and ")} connections.`,
    "",
    renderSummary(r).replace(/^### /gm, "## "),
    "",
    ...spreadAcrossRuns(r, resultsFile),
    ...whatIsInTheWay(),
    "",
    "## Notes",
    "",
    ...r.notes.map((n) => `- ${n}`),
    "",
    "## Rerunning",
    "",
    "- `npm run bench`: the full run (under 10 minutes), writes `bench/results/<date>-<HHMM>.json` and this page.",
    "- `node dist/bench/run.js --quick` (or `BENCH_QUICK=1`): seconds per case, results in the OS temp dir;",
    "  CI runs it through `test/bench-smoke.test.ts`.",
    "- `node dist/bench/run.js --only portcall-sqlite,ceiling`: a subset of targets.",
    "- `node dist/bench/run.js --targets-only`: the closed-loop and fixed-rate runs alone (no 8 MiB case,",
    "  profile, cold start or replay), results in the OS temp dir, docs untouched: for iterating on the hot path.",
    "- `node dist/bench/run.js --profile`: portcall on SQLite under `--cpu-prof` at 64 connections; prints",
    "  the top self-time functions and leaves the `.cpuprofile` files (open them in Chrome DevTools) in the OS temp dir.",
    "- `node dist/bench/ab.js --a <other build>/dist/bundle/main.js [--rate 1000 | --connections 64] [--rounds 3]`:",
    "  interleaved A/B rounds of one target (A, then B, in the same window), with CPU per delivery by thread;",
    "  `--env-b NAME=VALUE` sets one environment variable for B only.",
    "- `node dist/bench/report.js [results.json]`: regenerates this page from a results file (the hand-written",
    "  sections after the marker at the end are kept).",
    "- `BENCH_PG_URL` overrides the PostgreSQL URL (default `postgres://postgres@127.0.0.1:5432/test`).",
    "",
  ].join("\n");
}

export function writeDocs(resultsFile: string): void {
  const results = JSON.parse(readFileSync(resultsFile, "utf8")) as BenchResults;
  const root = packagePath();
  const relative = resultsFile.startsWith(`${root}/`) ? resultsFile.slice(root.length + 1) : resultsFile;
  // The dashboard section is written by bench/dashboard-bench.ts; regenerating the rest keeps it.
  const path = packagePath("docs", "benchmarks.md");
  const dashboard = existsSync(path) ? dashboardSectionOf(readFileSync(path, "utf8")) : undefined;
  const page = renderDocs(results, relative, resultsFile);
  writeFileSync(path, dashboard === undefined ? page : withDashboardSection(page, dashboard));
}

function newestResults(): string {
  const dir = packagePath("bench", "results");
  const files = readdirSync(dir)
    .filter((name) => /^\d{4}-\d{2}-\d{2}.*\.json$/.test(name))
    .sort();
  const newest = files.at(-1);
  if (newest === undefined) throw new Error(`no results in bench/results; run npm run bench first`);
  return `${dir}/${newest}`;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const file = process.argv[2] ?? newestResults();
  writeDocs(file);
  process.stdout.write(`docs/benchmarks.md regenerated from ${file}\n`);
}

/**
 * Written by people from the profiles and runs above (not generated): why the missed
 * targets are missed, so the next change starts from evidence. Update it with the code.
 */
function whatIsInTheWay(): string[] {
  return [
    "## What is in the way (read from the profiles and runs)",
    "",
    "All of this round's runs were taken on the two cores shared with several other builds and test",
    "suites (load average 14-18 at the starts, see the spread above): the naive peer, which waits on",
    "one fsync per request, fell from ~1,800 req/s in the last round to 100-200, so the disk was as",
    "contended as the CPU. Absolute figures are far below the last round's; compare the peers measured",
    "in the same run, and CPU per delivery, which depends least on how busy the machine is.",
    "",
    "- **Throughput and CPU per delivery against the minimal peer.** Over the three runs portcall on",
    "  SQLite did 0.41-0.77× the minimal peer's throughput at 64 connections (target 1.0×) and spent",
    "  0.17-0.19 ms of CPU per delivery against the minimal peer's 0.09-0.11 ms (1.8×; target ≤ 1.0×):",
    "  main thread ~0.12 ms, writer thread ~0.05 ms, checkpointer ~0.01 ms. CPU per delivery moved",
    "  least between runs (±6%), throughput most (the minimal peer alone ranged 1,266-2,968 req/s).",
    "  The ≥ 4× naive-peer target is met (8-10.5×) only because the naive peer's one fsync per request",
    "  suffered most from the contended disk. The main thread alone costs more than the whole minimal",
    "  peer. Its profile: JSON.parse of the whole body (`parseEnvelope`,",
    "  ~15%, which the minimal peer pays too), response socket writes (`writev`, ~12%, also paid by",
    "  the minimal peer), the hand-off to the writer thread (`postMessage`, ~10%: one structured-clone",
    "  message per batch and one reply, with small batches at this rate), the HMAC plus the payload's",
    "  SHA-256 (~8%; the minimal peer has only the HMAC), GC ~6%, timestamp normalisation ~2%. The",
    "  writer thread's own cost is the commit (`sqliteTransaction`, ~75%: the row, three secondary",
    "  indexes, the outbox trigger, the WAL append and its fsync) that the minimal peer does inline",
    "  on a table with no index.",
    "- **Kept this round: a direct node:http path for the webhook.** Signed POSTs with a declared",
    "  length within the limit no longer go through Fastify's routing, hooks and request/reply objects",
    "  (everything else still does, so 413, 405, 404 and 503-while-closing keep one implementation).",
    "  Three interleaved A/B rounds at 1,000 req/s offered (`node dist/bench/ab.js --rate 1000`): CPU",
    "  per delivery 0.26-0.27 ms against 0.31-0.32 ms before (main thread 0.15-0.16 against",
    "  0.18-0.19); at 64 connections the main thread went from 0.10-0.15 to 0.09-0.10 ms per delivery,",
    "  with throughput too noisy on this machine to call (1.3k-5k req/s for the same build).",
    "- **Kept: the shipped entry points are bundled** (esbuild, `dist/bundle/`). Seven interleaved cold",
    "  starts of each on a machine at load average ~15: median 832 ms bundled against 1,442 ms",
    "  unbundled, about 40% less, because a cold start was mostly Node resolving and reading a few",
    "  hundred module files (zod, Fastify, prom-client, commander). The cold-start targets (300 and",
    "  250 ms) are still missed by the figures above, which were taken at load average 14-18; the",
    "  last round's 355 ms server median came from a nearly idle machine, so on one the bundle should",
    "  put the server near or under 300 ms. This is an expectation, not a measurement. The function's",
    "  remaining cold start is mostly the Functions Framework itself (Express and ~85 packages),",
    "  which portcall does not control.",
    "- **Tried and not kept.** (1) One transferable buffer per batch for the payloads instead of the",
    "  structured clone of their strings. A micro-benchmark (4,000 batches of 64 writes of ~3 KB,",
    "  per-thread CPU from `/proc`) gave the main thread 3.8-5.4 µs per write with the buffer",
    "  against 2.4-4.1 µs with the clone, and the writer thread 1.05 against 1.1-1.5 µs: encoding the",
    "  strings to UTF-8 costs the main thread more than V8's clone of one-byte strings, so it was not",
    "  built. What the profile charges to `postMessage` is mostly per-message cost with small",
    "  batches; replying through shared memory instead of a message is the next thing to measure.",
    "  (2) `--max-semi-space-size=16` (fewer young-generation GCs): no difference beyond the noise in",
    "  three A/B rounds. (3) For 8 MiB bodies, copying each chunk into one buffer of the declared",
    "  length as it arrives (one copy of the body while reading rather than chunks plus their",
    "  concatenation): peak RSS 235 and 260 MB against 270 and 248 MB before, within the noise, so",
    "  it was reverted. (4) Instruction counts: `perf stat` has no hardware counters in this VM, and",
    "  `callgrind_control` could not reach a server under valgrind here (a full valgrind run took 3",
    "  minutes for 600 deliveries including start-up), so the comparisons above are CPU time from",
    "  `/proc`, interleaved.",
    "- **p99 at 1,000 req/s.** With the cores saturated neither store reaches the targets; pgbench",
    "  itself, in the same run, had p99 25 ms and more (3.7 ms on a quiet machine in the issue). On",
    "  SQLite portcall's p99 stayed far below the minimal peer's, which commits on its event loop and",
    "  so stops answering during every fsync of a slow disk. On PostgreSQL the commits themselves took",
    "  10-100 ms while portcall kept only ~500-700 of the 1,000 req/s offered (the `/metrics` commit",
    "  histogram), so the tail was the machine, not the statement. To tell the statement's own cost",
    "  apart, pgbench ran portcall's single-row upsert into `flexport_events` (generated `jsonb` column",
    "  through `portcall_try_jsonb`, four indexes, the outbox trigger) against a plain 3 KB `jsonb`",
    "  insert, interleaved: p50 4.1-5.6 ms against 3.7-4.1 ms, p99 within the same noise. So the",
    "  statement adds about 0.5-1.5 ms at the median. The next lever there is",
    "  `portcall_try_jsonb`: its EXCEPTION block opens a subtransaction for every row (PostgreSQL 15",
    "  has no `pg_input_is_valid`). `synchronous_commit` stays on.",
    "- **Peak RSS with 8 MiB events** (table above; the ordinary runs stay under 200 MB). One 8 MiB",
    "  delivery still exists several times over: the body read, its decoded text and parse tree",
    "  (~13 MB), the structured clone to the writer and its copy there, better-sqlite3's UTF-8 copy and",
    "  SQLite's record, and up to four such bodies are read at once before they take their turn.",
    "  The peak varies by ±20 MB between identical runs with when V8 collects the previous body's garbage.",
    "- **Replay** was starved of disk and time in these runs: writing the 200k-event archive (1 GB in",
    "  400k files) took most of what the 10-minute budget left, so the SQLite replay ran 12-94 s at",
    "  1.7-2.6k events/s (a fraction of the last round's 10,905 events/s on the same code path) and the",
    "  PostgreSQL replay got only its 10 s minimum and read nothing: no replay figure of this round",
    "  says anything about the code. On this disk, deleting the archive after a run also took",
    "  about 10 minutes. Per event it reads two files (object and metadata sidecar), parses and hashes the",
    "  body, and inserts through the group commit. The per-day pack that would read one file per",
    "  day instead of two per event was not built this round.",
    "- **Not measured by these runs:** throughput with alerts configured (the alerts work landed after",
    "  them; its own interleaved run, `node dist/bench/alerts-overhead.js`, is shown in the targets",
    "  table from its results file), the per-source webhook routes (not merged into this branch when",
    "  the runs were taken: the direct path serves `/webhooks/flexport` only), and the dashboard page",
    "  times (their own section, below).",
  ];
}
