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

/** How much lower portcall's throughput at 64 connections is with the alerts configured, in %. */
function alertsCost(r: BenchResults): number | undefined {
  const rps = (name: string) =>
    r.targets.find((t) => t.name === name && usable(t))?.runs.c64?.requestsPerSecond;
  const on = rps("portcall-sqlite-alerts");
  const off = rps("portcall-sqlite");
  return on === undefined || off === undefined || off === 0
    ? undefined
    : Math.round((1 - on / off) * 1000) / 10;
}

/** Alerts' cost: portcall with one Slack rule and one forwarding rule against portcall without, same run. */
function alertsVerdict(r: BenchResults, c: number): Verdict {
  const rps = (name: string) =>
    r.targets.find((t) => t.name === name && usable(t))?.runs[`c${c}`]?.requestsPerSecond;
  const on = rps("portcall-sqlite-alerts");
  const off = rps("portcall-sqlite");
  const cost = on === undefined || off === undefined || off === 0 ? undefined : (1 - on / off) * 100;
  const check = r.targets.find((t) => t.name === "portcall-sqlite-alerts")?.alerts;
  // Alert work left for after the measurement would flatter the figure: say how much there was.
  const atC64 = check?.whenC64Stopped;
  const work =
    check === undefined
      ? ""
      : `${atC64 === undefined ? "" : `; when the 64-connection run stopped the stand-in had ${fmt(atC64.sent)} requests for ${fmt(atC64.matching)} matching events`}; ${fmt(check.matching)} stored events matched a rule, the stand-in had ${fmt(check.sentWhenLoadStopped)} of them when the target's last run stopped${
          check.caughtUpAfterMs === null
            ? " and not all 30 s later"
            : `, all ${fmt(check.caughtUpAfterMs / 1000, 1)} s later`
        }`;
  return {
    target: `throughput at ${c} connections with one Slack alert rule and one forwarding rule (local stand-ins) within 10% of without`,
    measured:
      cost === undefined
        ? "–"
        : `${fmt(cost, 1)}% ${cost >= 0 ? "lower" : "higher"} (${fmt(on)} vs ${fmt(off)} req/s)${work}`,
    verdict: atMost(cost === undefined ? undefined : Math.max(0, cost), 10, "%", 1),
  };
}

export function verdicts(r: BenchResults): Verdict[] {
  const target = (name: string) => r.targets.find((t) => t.name === name && usable(t));
  const rate = `rate${r.settings.offeredRate}`;
  const c = r.settings.connections.includes(64) ? 64 : (r.settings.connections.at(-1) ?? 64);
  const replay = "sqlite" in r.replay ? (r.replay as ReplayResult) : undefined;
  const portcalls = r.targets.filter((t) => t.name.startsWith("portcall") && usable(t));
  const bigCases = [r.bigEvents, ...(r.bigEventsPostgres ? [r.bigEventsPostgres] : [])];
  const rss = [...portcalls.map((t) => t.peakRssMb ?? 0), ...bigCases.map((b) => b.peakRssMb ?? 0)];
  const missing = [
    ...portcalls.map((t) => t.database?.missing ?? 0),
    ...bigCases.map((b) => b.database?.missing ?? 0),
  ];
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
  lines.push("", "### 8 MiB events (portcall, separate process per store)", "");
  for (const [store, b] of [
    ["SQLite", r.bigEvents],
    ["PostgreSQL", r.bigEventsPostgres],
  ] as const) {
    if (b === undefined) continue;
    if (b.skipped || b.error) lines.push(`- ${store}: ${b.skipped ?? `failed: ${b.error}`}`);
    else {
      lines.push(
        `- ${store}: ${b.run?.requests ?? 0} bodies of ${fmt(b.bodyBytes)} bytes at ${b.connections} connections: peak RSS ${fmt(b.peakRssMb, 1)} MB, ` +
          `p50 ${fmt(b.run?.latencyMs.p50)} ms, status codes: ${statuses(b.run)}; database check: ${dbCheck(b.database)}.`,
      );
    }
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
    ["alerts target: throughput lower by % @c64", alertsCost(r)],
    ["8 MiB case peak RSS MB, SQLite", r.bigEvents.peakRssMb],
    ["8 MiB case peak RSS MB, PostgreSQL", r.bigEventsPostgres?.peakRssMb],
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
    .filter((x) => x.mode === "full" && x.version === r.version && x.code === r.code);
  if (runs.length < 2) return [];
  const digits = (v: number) => (v < 10 ? 3 : v < 100 ? 1 : 0);
  const lines = [
    `## Spread over this day's ${runs.length} full runs of this code${r.code === undefined ? "" : ` (${r.code})`}`,
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
    "4. **portcall, SQLite**: `portcall serve` with `LOG_LEVEL=warn`, again with the default `info`, and",
    "   again with one Slack alert rule and one forwarding rule in `PORTCALL_CONFIG`, both sending to a",
    "   local HTTP stand-in (the alerts target), beside **SQLite's own floor**: rows due at the fixed",
    "   rate, group-committed with `synchronous=FULL` on the same filesystem, nothing to receive or parse;",
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
    "- `node dist/bench/run.js --big-events [--target portcall-postgres] [--settle-ms 5000]`: the 8 MiB case",
    "  alone (eight such events, four connections, a fresh server; SQLite unless told); prints its result,",
    "  including the peak RSS, read --settle-ms after the last answer (the full run waits 5 s): for working on memory.",
    "- `node dist/bench/run.js --profile`: portcall on SQLite under `--cpu-prof` at 64 connections; prints",
    "  the top self-time functions and leaves the `.cpuprofile` files (open them in Chrome DevTools) in the OS temp dir.",
    "- `node dist/bench/ab.js --a <other build>/dist/bundle/main.js [--rate 1000 | --connections 64] [--rounds 3]`:",
    "  interleaved A/B rounds of one target (A, then B, in the same window), with CPU per delivery by thread;",
    "  `--env-b NAME=VALUE` sets one environment variable for B only.",
    "- `node dist/bench/steady-state.js [--rate 1000] [--seconds 8] [--ui false]`: one portcall (SQLite) server,",
    "  the fixed-rate run twice in a row (cold, then warm), then its own delivery and commit time histograms.",
    "- `node dist/bench/sqlite-floor.js <dir> [rate] [seconds]`: SQLite's own floor alone (prints JSON).",
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
    "The three full runs above (spread table) were taken one after another on the final code of",
    "this pass (7da152f; the commits after it change this report's text and the docs, and one mend",
    "drops an unused NULL case from the PostgreSQL search document, which gives the same terms), with",
    "nothing else running; the dashboard's pages were re-measured on the same code (their section,",
    "below). The machine was slower than on the previous pass's last evening: the minimal peer, whose",
    "code did not change, did 13,097-15,737 req/s at 64 connections against 16,116-17,281 then, and",
    "SQLite's own floor p99 was 2.4-5.9 against 1.7-1.9 ms. Absolute figures move by 30-50% between",
    "identical runs here, so the evidence that a change helped is an interleaved A/B or a measurement",
    "of the one case it touches, quoted with each change. Met in all three runs: the function's cold",
    'start (208-236 ms), its unused-SDK check, "every acknowledged id is stored" and the dashboard\'s',
    "pages. The server's cold start met its target in two of the three (267 and 282 ms; 324 ms in the",
    "second run, with no change to start-up in this pass), so this page counts it as not reliably met.",
    "Missed: throughput and CPU against both peers (0.43-0.45× the minimal peer, 3.48-3.89× the naive",
    "one), both p99 targets (SQLite 7.7-10.7 ms; PostgreSQL 19.2-27.4 ms against pgbench's 1.7-2.3),",
    "peak RSS (238-240 MB in the 8 MiB case on SQLite, 162-178 MB on PostgreSQL, which the run now",
    "measures too; the alerts target reached 239-248 MB under 64 connections), both replay targets",
    "(SQLite 11,631-14,152/s; PostgreSQL 8,283-9,731/s, against 9,954-10,167/s on that faster evening)",
    "and the alerts target (24.9-37.0% lower at 64 connections).",
    "",
    "- **This pass (third), what changed.** (1) The dashboard's fold on PostgreSQL fetched the whole",
    "  payloads of up to 200 queued events into the receiver and parsed each there for its search",
    "  terms; with 8 MiB events that is hundreds of megabytes at once on the thread that answers",
    "  Flexport. PostgreSQL now cuts, from the `jsonb` it already stores, a small document holding",
    "  only the members the terms come from (`src/stores/postgres/postgres-search-document.ts`; the",
    "  payload is fetched and decompressed once per row), and the payloads never travel back. A test",
    "  holds that document to the terms the whole payload gives in JavaScript, for every sample and",
    "  conformance event and for bodies shaped against each path and type rule",
    "  (`test/search-document.test.ts`). The 8 MiB case on PostgreSQL (`node dist/bench/run.js",
    "  --big-events --target portcall-postgres --settle-ms 8000`, builds alternated): 244.0, 247.5",
    "  and 218.3 MB before, 170.1, 168.0 and 171.8 MB after. Throughput and latency on PostgreSQL",
    "  did not move (interleaved, `node dist/bench/ab.js --target portcall-postgres`: p99 at 1,000",
    "  req/s 17.1-20.2 against 17.7-20.9 ms, three rounds; 4,853 and 5,023 against 4,698 and 5,203",
    "  req/s at 64 connections), nor did the board right after one new event, which folds before it",
    "  reads (`node dist/bench/run.js --dashboard --postgres-only`, builds alternated: p50 22.6 and",
    "  24.0 ms before, 24.3 and 22.5 ms after). (2) The full run now measures the 8 MiB case on both stores and",
    "  reads each peak 5 s after the last answer, so that the fold of those events counts too.",
    "  (3) The Cloud Function's entry point runs the same full collection after a body over 1 MiB",
    "  as the server (an instance sized at 256 or 512 MiB should not carry such garbage); the bench",
    "  has no 8 MiB case for the function, so this is not measured here.",
    "- **This pass, tried and not kept.** The same cut in SQLite's JSON functions, for payloads over",
    "  1 MiB, on the writer thread: the SQLite 8 MiB case went 236, 245 and 237 MB → 234, 221 and 237",
    "  MB (builds alternated; within noise) while its p50 rose from 493-539 to 554-647 ms; below 1 MiB",
    "  it is slower than parsing in JavaScript (38 against 29 µs per ~10 KB payload), and a",
    "  `jsonb(payload)` variant kept ~40 MB more after the fold. On SQLite the fold's memory is not its",
    "  JavaScript parse: the dashboard's code costs 11 MB idle (95 against 84 MB, `PORTCALL_UI` on and",
    "  off), the rest is what SQLite and the C allocator keep from reading 8 MiB rows, whichever",
    "  parser reads them. Two batches in flight to the SQLite writer, so the next is queued while one",
    "  commits (two rounds at 64 connections: 6,611-6,899 → 6,187-6,719 req/s, CPU 0.163-0.176 →",
    "  0.175-0.198 ms per delivery): the profile's main thread was busy 61% of the time, and what is",
    "  saturated is the two cores the server shares with the load generator, not the hand-off. A",
    "  batch ending the fold's slice at its next step (two counters the store and the writer share):",
    "  p99 at 1,000 req/s 9.2-10.1 → 9.5-10.1 ms over four rounds; the fold does cost the cold",
    "  server's p99 (10.1-12.6 ms with the dashboard on, 8.2-9.2 off, three rounds), but not through",
    "  deliveries waiting for its slice. Handing the writer its payloads as UTF-8 bytes in one",
    "  transferred buffer was measured in isolation before building it (a batch of 64 ~6 KB writes):",
    "  encoding on the main thread costs 2.8 µs per write against 1.75 µs for the structured clone it",
    "  replaces, and the writer would save ~2.9 µs (deserialising and better-sqlite3's own encoding),",
    "  about 1% of CPU per delivery in all; not built. The replay profile on SQLite (200k events:",
    "  main thread busy 13.5 of 15.9 s, `decodeJsonObject` 27%, garbage collection 24%, SHA-256 12%,",
    "  the member scan 10%; writer busy 11.0 s, its inserts 5.6 s; checkpointer 3.7 s) adds up to",
    "  ~28 s of CPU on two cores for 15 s of replay: 20,000/s would need a third less CPU per event.",
    "  A 32 MB page cache for the writer's connection instead of SQLite's default 2 MB did not change",
    "  that (the same 200k events into SQLite: 14.4 and 14.2 s before, 13.9 and 14.1 s after).",
    "- **Peak RSS with 8 MiB events, second pass.** The peak grew with the number of large events",
    "  (229 MB with two, 357-410 MB with eight) and stayed there after the load. `--trace-gc` and",
    "  the process's memory map showed why: each 8 MiB event leaves tens of megabytes of garbage in",
    "  every thread that touched it (its bytes, decoded text and parse tree on the receiving thread;",
    "  the copy sent to the writer and the dashboard fold's read and parse on the writer thread),",
    "  V8 keeps anything over ~128 KiB in its large-object space, which only a full collection",
    "  frees, and on a machine with this much memory it starts one only when the old generation",
    "  reaches a limit in the hundreds of megabytes. The writer thread ran no full collection at",
    "  all during the case. Now the thread that handled a body or payload over 1 MiB runs a full",
    "  collection right after it (the receiver once the answer is sent, before the next large body",
    "  is let in; the writer after the batch's reply, or after a fold step that read one). Such a",
    "  collection took 5-20 ms (`--trace-gc`), against ~100 ms of work per 8 MiB event; ordinary",
    "  events never trigger one. The 8 MiB case alone (`node dist/bench/run.js --big-events`, same",
    "  machine, same hour): 357.7 and 387.6 MB before, 241.5, 241.0 and 240.9 MB after; with 2, 8",
    "  and 16 bodies (a script driving the same server) 217, 237 and 258 MB, where it grew by ~35 MB",
    "  per body before. What remains above 200 MB: the idle server (~96 MB, three V8 isolates and the",
    "  node binary's pages) and memory the C allocator keeps after the 8 MiB blocks SQLite and",
    "  better-sqlite3 allocate for such a payload are freed (~50 MB in the writer thread's arena:",
    "  glibc raises its mmap threshold to the largest block freed, so later ones come from the",
    "  arena). With `GLIBC_TUNABLES=glibc.malloc.mmap_threshold=131072` in the environment the case",
    "  peaked at 209 MB; portcall cannot set that from inside the process, and the bench runs it as",
    "  shipped, without.",
    "- **Replay, measured again.** On this pass's faster machine the replay process's main thread is what",
    "  limits replay (`node --cpu-prof`, 200k events into PostgreSQL: busy 17.5 of 19.8 s): parsing",
    "  each event (`JSON.parse` inside `decodeJsonObject`, 27%) and young-generation garbage",
    "  collection (22%; 429 scavenges, 3.0 s, each keeping ~30 of ~40 MB: a thousand events in",
    "  flight and what they hold survive it, so each copies megabytes). A larger young generation cuts that:",
    "  `NODE_OPTIONS=--max-semi-space-size=64` took the same 200k events from 14.3 to 12.7 s into",
    "  SQLite and from 19.9 to 18.0 s into PostgreSQL (one run each, back to back), with peak memory",
    "  325 → 431 MB. docs/archive-and-replay.md gives it as an option; the bench runs replay as",
    "  shipped, without it. Tried and not kept: holding each waiting event's exact bytes (outside",
    "  V8's heap) instead of its decoded text, so that the text dies young. Interleaved into",
    "  PostgreSQL, two pairs: 19.0 and 18.3 s before, 19.2 and 19.5 s after, and scavenges only",
    "  3.0 → 2.7 s; the text is not most of what survives. Also tried and not kept: `portcall",
    "  replay` running itself on a worker thread with a 192 MB young generation (`resourceLimits`),",
    "  so that the option above would be the default. Interleaved, two pairs each: into PostgreSQL",
    "  18.7 and 18.1 → 18.1 and 17.1 s, into SQLite 13.5 and 13.8 → 12.5 and 13.2 s, with peak",
    "  memory 280-343 → 360-477 MB. 4-8% is not worth that much memory by default: a replay job",
    "  sized at 512 MiB would run close to its limit. Lower concurrency (256, 512) was slower",
    "  (21.9 and 21.0 against 19.9 s into PostgreSQL).",
    "- **Alerts, second pass.** Before, the alerts target's figure",
    "  flattered it: the exporter fell behind and about half of the alert work happened after the",
    "  measurement (the stand-in had 7,748 requests for ~15,000 matching events). The run now checks",
    "  this: it counts the stored events the two rules match and what the stand-in had when the",
    "  target's last run (1,000 req/s) stopped, and, since the final code, also when the",
    "  64-connection run stopped. That second count is the honest one for the compared figure, and",
    "  it shows the exporter falling behind at that rate: 10,219 of 15,105, 8,349 of 12,519 and 8,071",
    "  of 11,803 (67-68%) had been sent; by the end of the 1,000 req/s run it had caught up (98% or more,",
    "  the rest within 1.1 s). So the 64-connection figure still leaves a third of the alert work",
    "  outside its window, and the true cost of this workload's alerts is higher than it shows.",
    "  Three changes, from the profile",
    "  (`BENCH_PROFILE_TARGET=portcall-sqlite-alerts node dist/bench/run.js --profile`):",
    "  (1) the outbox queues for a destination only the events its rules name (migration 009: a",
    "  type filter, and webhook-only unless a rule asks for history, stored with the sink; every",
    "  event when an ETA-slip rule needs them all), so each destination here claims, reads and",
    "  deletes a sixth of the rows; (2) a batch's alerts are opened in one transaction and sends",
    "  are recorded together (before the next send once 20 ms have passed, and at the batch's end),",
    "  instead of two transactions per alert, each taking the write",
    "  lock from the writer thread (`sqliteTransaction` on the main thread 11.5% → 6.8% of it);",
    "  (3) destinations POST with node:http and a keep-alive agent instead of `fetch`, which cost",
    "  ~0.5 ms more CPU per request (5,000 sequential 3 KB POSTs to a local server: 728-1,164 against",
    "  221-315 µs of CPU per request, both sides counted). Interleaved at 64 connections (three 8 s",
    "  rounds, `node dist/bench/ab.js --target portcall-sqlite-alerts --env-b PORTCALL_CONFIG=<a file",
    "  with no rules>`): 5.3%, 3.4% and 7.9% lower than without alerts, with the same lag, which the",
    "  A/B does not count. In the full runs, where the two targets run minutes apart: 10.4-22.1%",
    "  (0e2133a) and 18.3-38.4% (642b0c5, whose review fixes record sent alerts more carefully but",
    "  no more often; the two ranges overlap, and runs here move by 30-50%). What remains is the",
    "  work itself: a third of the",
    "  traffic raises a Slack message or a forward, each an HTTP request, a Standard Webhooks",
    "  signature (the library's own JavaScript SHA-256, ~1% of the main thread) and a few rows, about",
    "  0.1 ms of CPU per delivery on the thread that also answers Flexport; the stand-in's own CPU",
    "  shares the two cores too.",
    "- **Cold start, second pass.** `serve` now listens once the store is writable, before",
    "  Fastify has loaded its plugins: deliveries take the direct node:http path, which needs none",
    "  of them, and other requests wait for Fastify (a test covers both). Fastify and the dashboard",
    "  load while the writer thread starts. The dashboard had cost ~170 ms of a cold start",
    "  (`PORTCALL_UI=false` 373-397 against ~550 ms with it on, interleaved); after, on and off are",
    "  within noise (477 against 453 ms). Interleaved, 8 starts each: median 503 → 454 ms. The full",
    "  runs measured 364-599 ms (0e2133a) and 479-560 ms (642b0c5): this machine's Node alone takes",
    "  110-120 ms to run an empty script,",
    "  and its speed moved by half between runs. Starting the function's runtime when its module",
    "  loads, not on the first request, was tried and made no difference (three sets of four starts",
    "  each within noise); it was not kept.",
    "",
    "- **What changed on the receive path, and what it bought.** (1) The dashboard's background",
    "  fold of new events into the board's summaries ran on the receiver's event loop: a synchronous",
    "  better-sqlite3 read and parse of up to 200 payloads at a time, on a second connection that",
    "  also competed with the writer thread for SQLite's write lock (whose busy handler sleeps in",
    "  steps of up to 100 ms). It was the profile's `shipmentSearchTerms` and `sqliteTransaction` on",
    "  the main thread (~17% of it) and the p99 of 177-230 ms at 1,000 req/s. It now runs on the",
    "  writer thread between batches: slices of at most 2 ms, at most 10% of that thread's time while",
    "  deliveries arrive (50% once they pause), no fsync of its own, and at most ~4 MiB of payloads per",
    "  step, read one at a time. (2) Statement journals in memory on the writer's connection",
    "  (`temp_store = MEMORY`): every insert fires two triggers, so SQLite kept a statement journal,",
    "  on disk in this build, ~10 small writes per row (`strace`); the insert alone went from 61 to",
    "  38 µs per row. (3) The payload's SHA-256 through the one-shot `crypto.hash`, and timestamps",
    "  already in the stored form kept as they are instead of rebuilt by `toISOString` (~1.5% and ~2%",
    "  of the main thread). Interleaved at 64 connections (`node dist/bench/ab.js --a <before>`, two",
    "  rounds, load 2-3.5): CPU per delivery 0.363-0.373 → 0.283-0.303 ms, main thread 0.243-0.255",
    "  → 0.169-0.179 ms, throughput +20-30%; at 1,000 req/s the fold's work moved from the main",
    "  thread (0.41-0.43 → 0.32 ms) to the writer (0.18 → 0.26 ms), total unchanged.",
    "- **Throughput and CPU per delivery against the minimal peer: still missed.** The main thread",
    "  now costs about what the whole minimal peer does, and the writer thread adds its commit. What",
    "  the main thread spends that the minimal peer does not (profile above): the hand-off to the",
    "  writer (`postMessage`, ~7%: structured clone of each write, ~4 µs to serialise and ~6 µs to",
    "  deserialise a ~5 KB write), the top-level member scan that keeps ids exact and refuses",
    "  duplicated envelope members (~4.5%, ~8 µs per 5 KB body), the payload's SHA-256 (~2-3%),",
    "  timestamp parsing (~1.6%) and the promise plumbing of an adapter-neutral core. The writer",
    "  thread's commit does more than the minimal peer's: a row with five secondary indexes, the",
    "  outbox and summary-queue triggers and an upsert with `RETURNING` against a table with none,",
    "  plus the dashboard's fold (bounded to a tenth of its time under load). The checkpointer adds",
    "  ~0.01 ms per delivery. Moving the commit onto the main thread, as the minimal peer does, would",
    "  remove the hand-off but block the event loop during every fsync; it was not tried this round.",
    "- **p99 at 1,000 req/s on SQLite: missed, now within a few milliseconds of the minimal peer.**",
    "  The run now also measures SQLite's own floor on the same filesystem (`bench/sqlite-floor.ts`:",
    "  rows due at the same rate, group-committed with `synchronous=FULL`, nothing to receive or",
    "  parse). Probing one server with the open-loop sender twice in a row (`node dist/bench/steady-state.js`: the",
    "  same `startTarget` and `drive` as the bench): the first 8 s of a cold server had p99 18-28 ms,",
    "  the next 8 s 7.8 ms with the dashboard off and 9.6-12.2 ms with it on. Inside the server, 99%",
    "  of deliveries took ≤ 10 ms from complete body to answer (the `/metrics` histogram) and the",
    "  event loop had no stall above 8 ms after start-up (`monitorEventLoopDelay`); garbage",
    "  collection paused at most 5.6 ms. What remains is the commit itself (p99 ~5 ms by the",
    "  histogram, against the floor's ~3 ms: five secondary indexes and two triggers per row), a",
    "  delivery that arrives during a commit waiting for it, and the fold's 2 ms slices. In the",
    "  bench's fixed-rate run the server is warm (it follows the closed-loop runs) but carries the",
    "  fold backlog those runs left.",
    "- **PostgreSQL.** Two changes: payloads compressed with lz4 instead of pglz (migration 008,",
    "  PostgreSQL's CPU per 8 kB event 498-522 → 289-310 µs), and each batch's payloads sent as their",
    "  bytes in one binary parameter, split in SQL, instead of a JSON array (PostgreSQL 275-280 →",
    "  212-223 µs per event, Node 80 → 33 µs per event, in batches of 200). The p99 target is still",
    "  missed by far: pgbench's 300-byte row costs PostgreSQL tens of µs; portcall's event costs it",
    "  ~0.26-0.31 ms (about 60% of that building the `jsonb` copy for the views, ~25 µs the triggers)",
    "  plus ~0.4-0.5 ms of Node CPU at this rate, so the two processes need most of the two cores",
    "  the load generator shares, and the tail is queueing for CPU. `portcall_try_jsonb`'s",
    "  subtransaction was measured and is within noise (3,000 rows: 578-942 against 577-820 ms); the",
    "  cost is the `jsonb` conversion itself. Building that copy later, in the background, would",
    "  change what the views see right after a commit; it is a design decision, not taken here.",
    "  `synchronous_commit` stays on. The dashboard's background fold on PostgreSQL now parses",
    "  payloads for search terms a few at a time, yielding between them (since the third pass it",
    "  no longer fetches them: PostgreSQL cuts the terms' members from the stored `jsonb`, above).",
    "- **Replay.** A `file:` archive now also keeps one append-only pack per day (`packs/dt=<date>.pack`,",
    "  docs/archive-and-replay.md): replay reads one file per day instead of two per event, checks",
    "  each record against its hash and metadata, and falls back to the object files for anything",
    "  missing or damaged. Interleaved at load 3.4-3.9, 200k events: 2,468-3,715 → 6,014-6,361",
    "  events/s, CPU per event 252-302 → 155-164 µs. Still short of 20,000/s into SQLite: what",
    "  remains is verifying each event (strict decode, JSON parse, member scan, SHA-256: the one",
    "  entry path every event takes), GC, the writer's inserts and commits, and the checkpointer",
    "  copying the WAL back (~20% of a core). Into PostgreSQL, 10,000/s would leave 200 µs of CPU",
    "  per event for both processes; PostgreSQL alone needs ~170 µs, most of it the `jsonb` copy.",
    "- **Peak RSS with 8 MiB events.** A body over 1 MiB now waits for its turn before it is read",
    "  (unread bytes stay in the socket), and is read into one buffer of its declared length rather",
    "  than chunks plus their concatenation (126 MB of buffers before); the dashboard's fold, which",
    "  held up to 200 payloads and their parse trees at once (~140 MB of the peak with 8 MiB events,",
    "  by `PORTCALL_UI=false` against on), takes at most ~4 MiB of payloads per step, one at a time.",
    "  What remains: one 8 MiB delivery still exists several times over (its bytes, decoded text",
    "  and parse tree, the structured clone to the writer and its copy there, better-sqlite3's UTF-8",
    "  copy), and the idle server is ~96 MB. Handing the writer the body's bytes instead of the",
    "  string would remove about three copies (~24 MB per such event); not built this round. In",
    "  the ordinary runs the peak is reached under 64 connections: three V8 isolates (receiver,",
    "  writer, checkpointer) and their young generations; a smaller young generation for the two",
    "  worker threads (`resourceLimits`) made no difference (201.5 against 206.7 MB) and was reverted.",
    "- **Cold start, first pass.** zod imported as a namespace (the bundle had all of it, 50+ locales: the CLI's",
    "  start-up code 1.29 → 0.74 MB), its generated fast path off (`jitless`: each schema parses once),",
    "  no `Intl.Segmenter` built by `serve` (string-width builds one at import, and the first one",
    "  loads ICU data: the largest single item in the start-up profile), Fastify's schema compilers",
    "  and `inject()` left out of the bundle, and the function's entry as `index.mjs` (a `.js` entry",
    "  makes functions-framework read `package.json` through normalize-package-data and its",
    "  dependencies). Interleaved at load ~1: server 470 → 397 ms, function 346 → 296 ms (medians of",
    "  12 and 10). What remains before the first 200: yaml loaded on every start (~15-25 ms),",
    "  Fastify and the dashboard built before listening (~60-80 ms; the second pass, above, now",
    "  listens before them), and for the function the Functions Framework's own Express stack,",
    "  over half of what is left.",
    "- **Alerts, first pass.** They are now a target of the run itself (`portcall-sqlite-alerts`:",
    "  a Slack rule on the traffic's departures and a forwarding rule on its arrivals, each about a",
    "  sixth of the events, to a local stand-in, through `PORTCALL_CONFIG`). Building that target found",
    "  a real defect: in the bundled CLI (what `npm start` and the package run), signed-webhook and",
    "  email destinations could not be built, because the bundle gives a CommonJS package's exports",
    "  only as its default export. Fixed, with a test that runs the bundled CLI's `destinations test`.",
    "  Two costs were cut (a destination no longer parses events none of its rules can match by type,",
    "  source or history; the outbox and the alert log prepare each statement once instead of on",
    "  every call: `prepare` was 1.2% of the profile) without moving the figure (38% lower before and",
    "  after, `node dist/bench/run.js --targets-only --only portcall-sqlite,portcall-sqlite-alerts`).",
    "  The profile (`BENCH_PROFILE_TARGET=portcall-sqlite-alerts node dist/bench/run.js --profile`)",
    "  shows why: every event is queued for every destination, and the exporter's bookkeeping (claim,",
    "  lease, delete, and for each alert an open and a mark-sent, each its own short transaction on",
    "  the side connection, `sqliteTransaction` ~9% of the main thread, `SqliteError` ~1% from",
    "  SQLITE_BUSY retries) takes SQLite's write lock thousands of times a second. Each time the",
    "  writer thread meets it, its busy handler sleeps at least a millisecond, however short the other",
    "  transaction. The second pass (above) cut those transactions to a handful per batch and the",
    "  rows to the events a destination can use, rather than routing them through the writer thread.",
    "- **Traffic** now puts 20 new events on each shipment, as the dashboard's benchmark does; before,",
    "  every event landed on one of a few template shipments, whose summaries then spanned thousands",
    "  of events each, which no real shipment has.",
    "- **Tried and not kept.** Arrays instead of objects for the writes sent to the writer (V8",
    "  serialise 3.7-4.2 against 4.2-6.8 µs per write: no gain). A regular expression to skip nested",
    "  values in the member scan (21 against 7 µs per 5 KB body: slower). A plain `payload_json`",
    "  column filled by the insert instead of the generated column (within noise, above). One or",
    "  three PostgreSQL commits in flight instead of two, and starting another only with eight",
    "  writes waiting (inconclusive on the busy machine). Yielding every 64 events in replay, other",
    "  `--concurrency` values and a larger young generation for replay (within noise). A 1 ms fold",
    "  slice instead of 2 ms (p99 9.3 and 11.5 against 9.6 and 12.2 ms: within noise).",
  ];
}
