import { spawn } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { summarize } from "./latency-summary.js";
import type { LatencySummary } from "./load-protocol.js";
import { track } from "./processes.js";

/**
 * SQLite's own floor for the fixed-rate case, the counterpart of pgbench for PostgreSQL: ~3 KB
 * rows due at the same rate, each committed (WAL, synchronous=FULL: one fsync of the WAL per
 * commit, as portcall's writer) together with every other row due by then, a perfect group
 * commit with nothing to receive or parse, into a one-table database on the same filesystem
 * as the targets' databases, in a process of its own. Latency counts from each row's scheduled
 * time, as the open-loop sender's does, so a slow fsync delays the rows behind it and the two
 * p99s compare. One commit per row is no floor: at fsync times above 1 ms it cannot keep up.
 */
export interface SqliteFloorResult {
  readonly skipped?: string;
  readonly error?: string;
  readonly rate?: number;
  readonly seconds?: number;
  readonly rows?: number;
  readonly commits?: number;
  readonly payloadBytes?: number;
  readonly latencyMs?: LatencySummary;
}

const PAYLOAD = JSON.stringify({ _object: "/event", type: "/shipment#milestone", data: "x".repeat(3000) });

/** Runs the floor in a child process (this file's main), so the bench's own event loop is not in it. */
export function sqliteFloorRun(
  dir: string,
  options: { rate: number; seconds: number },
): Promise<SqliteFloorResult> {
  return new Promise((resolve) => {
    const child = track(
      spawn(
        process.execPath,
        [fileURLToPath(import.meta.url), dir, String(options.rate), String(options.seconds)],
        {
          stdio: ["ignore", "pipe", "inherit"],
        },
      ),
    );
    let out = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.on("close", (code) => {
      try {
        resolve(code === 0 ? (JSON.parse(out) as SqliteFloorResult) : { error: `exited with code ${code}` });
      } catch (error) {
        resolve({ error: (error as Error).message });
      }
    });
  });
}

function measure(dir: string, rate: number, seconds: number): SqliteFloorResult {
  const db = new Database(join(dir, "sqlite-floor.db"));
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = FULL");
  db.exec("CREATE TABLE IF NOT EXISTS rows (id INTEGER PRIMARY KEY, payload TEXT NOT NULL)");
  const insert = db.prepare<[string]>("INSERT INTO rows (payload) VALUES (?)");
  // Every row due by now in one transaction: a perfect group commit, with nothing to parse.
  const commit = db.transaction((rows: number) => {
    for (let k = 0; k < rows; k++) insert.run(PAYLOAD);
  });
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  const count = rate * seconds;
  const latencies: number[] = [];
  const start = performance.now() + 50;
  const dueAt = (i: number) => start + (i * 1000) / rate;
  let commits = 0;
  for (let next = 0; next < count; ) {
    const wait = dueAt(next) - performance.now();
    if (wait > 0.05) Atomics.wait(sleeper, 0, 0, wait);
    let last = next;
    while (last < count && dueAt(last) <= performance.now()) last++;
    if (last === next) last = next + 1;
    commit(last - next);
    commits++;
    const done = performance.now();
    for (let i = next; i < last; i++) latencies.push(done - dueAt(i));
    next = last;
  }
  db.close();
  return {
    rate,
    seconds,
    rows: count,
    commits,
    payloadBytes: PAYLOAD.length,
    latencyMs: summarize(latencies),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [dir, rate, seconds] = process.argv.slice(2);
  if (dir === undefined) throw new Error("usage: sqlite-floor.js <dir> <rate> <seconds>");
  process.stdout.write(JSON.stringify(measure(dir, Number(rate ?? 1000), Number(seconds ?? 10))));
}
