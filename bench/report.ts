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

export function verdicts(r: BenchResults): Verdict[] {
  const target = (name: string) => r.targets.find((t) => t.name === name && usable(t));
  const rate = `rate${r.settings.offeredRate}`;
  const c = r.settings.connections.includes(64) ? 64 : (r.settings.connections.at(-1) ?? 64);
  const replay = "sqlite" in r.replay ? (r.replay as ReplayResult) : undefined;
  const portcalls = r.targets.filter((t) => t.name.startsWith("portcall") && usable(t));
  const rss = [...portcalls.map((t) => t.peakRssMb ?? 0), r.bigEvents.peakRssMb ?? 0];
  const missing = [...portcalls.map((t) => t.database?.missing ?? 0), r.bigEvents.database?.missing ?? 0];
  const out: Verdict[] = [
    {
      target: `portcall/SQLite throughput at ${c} connections ≥ 70% of the ceiling`,
      measured: `${fmt(r.ratios[`portcall-sqlite/ceiling@c${c}`], 3)} of ceiling`,
      verdict: atLeast((r.ratios[`portcall-sqlite/ceiling@c${c}`] ?? NaN) * 100, 70, "%"),
    },
    {
      target: `portcall/SQLite throughput at ${c} connections ≥ 5× the naive peer`,
      measured: `${fmt(r.ratios[`portcall-sqlite/naive-peer@c${c}`], 2)}×`,
      verdict: atLeast(r.ratios[`portcall-sqlite/naive-peer@c${c}`], 5, "×", 2),
    },
    {
      target: `p99 ≤ 5 ms at ${fmt(r.settings.offeredRate)} req/s offered, SQLite`,
      measured: `${fmt(target("portcall-sqlite")?.runs[rate]?.latencyMs.p99, 2)} ms`,
      verdict: atMost(target("portcall-sqlite")?.runs[rate]?.latencyMs.p99, 5, " ms", 2),
    },
    {
      target: `p99 ≤ 5 ms at ${fmt(r.settings.offeredRate)} req/s offered, PostgreSQL`,
      measured: `${fmt(target("portcall-postgres")?.runs[rate]?.latencyMs.p99, 2)} ms`,
      verdict: atMost(target("portcall-postgres")?.runs[rate]?.latencyMs.p99, 5, " ms", 2),
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
      target: "server cold start to first 200 ≤ 500 ms",
      measured: `median ${fmt(r.coldStart.server.medianMs)} ms`,
      verdict: r.coldStart.server.skipped ?? atMost(r.coldStart.server.medianMs, 500, " ms"),
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

export function renderDocs(r: BenchResults, resultsPath: string): string {
  const m = r.machine;
  return [
    "# Benchmarks",
    "",
    "<!-- Generated by `node dist/bench/report.js` from the results file named below; edit bench/report.ts, not this file. -->",
    "",
    "Flexport waits on portcall's answer and retries when it is slow, so the receiver must absorb",
    "bursts while acknowledging only durable events. `npm run bench` measures that against two",
    "peers started in the same run, because on a shared machine ratios mean more than absolute numbers:",
    "",
    "1. **ceiling**: a bare `node:http` server that reads the body and answers 200 (`bench/servers/ceiling.ts`);",
    "2. **naive peer**: Express 5 + `express.raw()` + HMAC-SHA256 (`timingSafeEqual`) + one better-sqlite3",
    "   transaction per request, WAL, `synchronous=FULL` (`bench/servers/naive-peer.ts`), what tutorials ship;",
    "3. **portcall, SQLite**: `portcall serve` with `LOG_LEVEL=warn`, and again with the default `info`;",
    "4. **portcall, PostgreSQL**: `portcall serve` on a fresh schema, dropped afterwards (skipped when unreachable).",
    "",
    "Each server runs in its own process on 127.0.0.1 with a fresh database; the load comes from a separate",
    "process (autocannon for the closed-loop runs, a bounded open-loop sender for the fixed rate). After",
    "each portcall run every id answered 200 `stored` is looked up in the database.",
    "",
    "## Targets (from the issue)",
    "",
    "With every 2xx fsync-durable (SQLite) or committed (PostgreSQL): portcall/SQLite throughput at 64",
    "connections ≥ 70% of the ceiling and ≥ 5× the naive peer; p99 ≤ 5 ms at 1,000 req/s offered for",
    "SQLite and PostgreSQL; peak RSS ≤ 200 MB (8 MiB events included); replay ≥ 20,000 events/s into",
    "SQLite and ≥ 10,000 events/s into PostgreSQL; server cold start to first 200 ≤ 500 ms; the function",
    "entry point loads no PostgreSQL driver or cloud SDK it does not use.",
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
    ...whatIsInTheWay(),
    "",
    "## Notes",
    "",
    ...r.notes.map((n) => `- ${n}`),
    "",
    "## Rerunning",
    "",
    "- `npm run bench`: the full run (under 10 minutes), writes `bench/results/<date>.json` and this page.",
    "- `node dist/bench/run.js --quick` (or `BENCH_QUICK=1`): seconds per case, results in the OS temp dir;",
    "  CI runs it through `test/bench-smoke.test.ts`.",
    "- `node dist/bench/run.js --only portcall-sqlite,ceiling`: a subset of targets.",
    "- `node dist/bench/run.js --targets-only`: the closed-loop and fixed-rate runs alone (no 8 MiB case,",
    "  profile, cold start or replay), results in the OS temp dir, docs untouched: for iterating on the hot path.",
    "- `node dist/bench/run.js --profile`: portcall on SQLite under `--cpu-prof` at 64 connections; prints",
    "  the top self-time functions and leaves the `.cpuprofile` files (open them in Chrome DevTools) in the OS temp dir.",
    "- `node dist/bench/report.js [results.json]`: regenerates this page from a results file.",
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
  const page = renderDocs(results, relative);
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
    "Measured with the run above, its CPU profile, and smaller runs of the same servers",
    "(`node dist/bench/run.js --targets-only`, per-thread CPU from `/proc`, the `/metrics` histograms).",
    "",
    "- **Throughput against the ceiling (18%, target 70%) and the naive peer (2.8×, target 5×).** Three",
    "  full runs within an hour on nearly the same code gave 5,203, 7,145 and 5,061 req/s at 64",
    "  connections (18-25% of the ceiling, 2.6-3.7× the naive peer), so read any one run's ratios with",
    "  that spread in mind; the machine was not equally quiet for each. The ceiling spends ~0.03 ms of CPU per",
    "  request; portcall 0.15-0.2 ms (main thread ~0.13 ms, SQLite writer ~0.06, checkpointer ~0.015,",
    "  V8's helper threads the rest; per-thread figures from a separate run), and the load generator shares",
    "  the same two cores. On the main thread, JSON.parse of the whole body (`parseEnvelope`) is ~19%,",
    "  response socket writes ~10%, GC ~6%, HMAC-SHA256 plus the payload's SHA-256 ~8%, handing the",
    "  batch to the writer thread (structured clone) ~6%, and the rest is Fastify's and node:http's",
    "  own request handling. JSON.parse, the HMAC and the hand-off alone cost about what the whole",
    "  ceiling server spends per request, so 70% of it is out of reach for a receiver that verifies,",
    "  parses and durably stores each event on this machine; we found no change that closes the gap",
    "  rather than narrowing it. The main thread is 60-70% busy at 64 connections: the rest of the",
    "  time every connection is waiting on a commit.",
    "- **Commits.** On a quiet machine an fsync here takes ~0.2 ms and ~0.08 ms of CPU; one commit of",
    "  one 5 KB event takes ~0.43 ms, of 32 events ~1.35 ms (~35 µs of CPU per event: the outbox",
    "  trigger ~15% of it, the three secondary indexes ~10%, the rest the row and its WAL pages).",
    "  Inside the server the same commits take 2-4× longer, because the writer, main and checkpointer",
    "  threads and the load generator take turns on two cores.",
    "- **Fixed in this round: the WAL grew without bound under sustained load.** A PASSIVE checkpoint",
    "  never rewinds the log while commits keep coming; after 10 s at 64 connections the WAL was",
    "  387 MB beside a 232 MB database. Past ~4 MiB the writer now restarts it between two batches,",
    "  when the checkpointer has copied it all and no reader needs it (a first version waited for",
    "  readers and stalled deliveries for 2 s behind a long query; `sqlite-checkpointer.test.ts`",
    "  now guards both). Three runs each at 64 connections: 5,434 req/s on average against 4,623",
    "  without restarts, and ~20% less CPU per delivery (rewriting the file's existing blocks is",
    "  cheaper to fsync than growing it). A reader that holds a snapshot for long still costs one",
    "  stall of 70-250 ms when it leaves: the grown log restarts then.",
    "- **p99 at 1,000 req/s** (SQLite 6.4 ms, PostgreSQL 68.7 ms; target 5 ms; the ceiling's own p99",
    "  in the same run is 2.1 ms, and the naive peer's 52 ms, against 8-9 ms in the two runs before:",
    "  a noisy window for every target that commits to disk). Over the session's three full runs SQLite's p99 was",
    "  5.8-7.7 ms and PostgreSQL's 15-69 ms. For SQLite, the server's",
    "  delivery histogram has 98.7% of deliveries under 5 ms and 99.8% under 10 ms; the tail is a delivery that arrives just after a commit",
    "  starts and waits for it and then for its own, plus scheduling on two cores. A second SQLite",
    "  batch queued in the writer thread was tried and showed no clear gain (more, smaller commits at",
    "  low load); it is not kept. For PostgreSQL, ~4% of commits take 5-25 ms on the server side: its",
    "  own WAL flush per transaction and the generated `jsonb` column (~60 µs per 5 KB event).",
    "  Up to three batches now commit at once (the results committed before this round had 63 ms",
    "  with one).",
    "- **Peak RSS with 8 MiB events (262 MB here, 291 MB in the two runs before; the ordinary runs stay under 195 MB).** One 8 MiB",
    "  delivery exists in memory several times over: Fastify's chunks and their concatenation, the",
    "  decoded text, its parse tree (~13 MB), the structured clone to the writer thread and its copy",
    "  there, better-sqlite3's UTF-8 copy and SQLite's record. Waiting for the one-at-a-time turn",
    "  before reading the body brought the peak from 286 to 259 MB but let an unauthenticated client",
    "  that sends slowly hold the turn and delay every large delivery, so it was reverted. glibc also",
    "  keeps freed memory: `MALLOC_MMAP_THRESHOLD_=131072` took RSS after the burst from ~260 to",
    "  ~180 MB, but not the peak.",
    "- **Replay** (SQLite 10,905/s, target 20,000; PostgreSQL 5,824/s, target 10,000; 6,802 and 1,432 in",
    "  the results committed before this round). node-postgres escaped every payload of a batch into",
    "  a `text[]` literal in JavaScript, and half of a PostgreSQL replay's time went to that and the GC it caused; payloads",
    "  now travel as one JSON array. What bounds both now is the replaying process's own work per",
    "  event: two files read per event (object and metadata sidecar, ~20%), JSON.parse (~19%), GC",
    "  (~16%), and for PostgreSQL its `jsonb` column. The next levers are a per-day pack of the",
    "  archive (one read per day rather than two per event) and fewer copies per event.",
    "- **Cold start** is met (median 355 ms): Fastify's schema compilers (Ajv, ~40 ms) are no longer",
    "  loaded, as no route declares a schema; what remains is module loading (Fastify, zod, pino,",
    "  prom-client) and opening the database.",
  ];
}
