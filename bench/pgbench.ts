import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { summarize } from "./latency-summary.js";
import type { LatencySummary } from "./load-protocol.js";
import { track } from "./processes.js";
import { dropSchema, newSchema, PG_URL } from "./targets.js";

/**
 * PostgreSQL's own floor for the fixed-rate case: pgbench inserting one ~300-byte jsonb row
 * per transaction (one commit, one WAL flush each) at the same rate, into a throwaway table
 * in its own schema on the same server. Its latency counts from each transaction's scheduled
 * start, as the open-loop sender's does, so the two p99s compare.
 */
export interface PgbenchResult {
  readonly skipped?: string;
  readonly error?: string;
  readonly rate?: number;
  readonly clients?: number;
  readonly seconds?: number;
  readonly transactions?: number;
  readonly transactionsPerSecond?: number;
  readonly payloadBytes?: number;
  readonly latencyMs?: LatencySummary;
  readonly command?: string;
}

const PAYLOAD = JSON.stringify({
  _object: "/api/event",
  id: "evt-0000000000",
  type: "/shipment_event#milestone",
  occurred_at: "2026-12-01T12:00:00.000Z",
  created_at: "2026-12-01T12:00:01.000Z",
  data: {
    _object: "/shipment_event",
    shipment: { _object: "/api/refs/object", ref_type: "/shipment", id: 123456, link: "x" },
    milestone: "cargo_ready",
  },
});

export async function pgbenchRun(
  workDir: string,
  options: { rate: number; clients: number; seconds: number },
): Promise<PgbenchResult> {
  const version = spawnSync("pgbench", ["--version"], { encoding: "utf8" });
  if (version.status !== 0)
    return { skipped: "pgbench is not installed (it ships with PostgreSQL's client tools)" };
  const url = new URL(PG_URL);
  const schema = newSchema();
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  const dir = join(workDir, `pgbench-${schema}`);
  mkdirSync(dir, { recursive: true });
  try {
    await client.query(`CREATE SCHEMA ${schema}`);
    await client.query(`CREATE TABLE ${schema}.events (id bigserial PRIMARY KEY, payload jsonb NOT NULL)`);
    const script = join(dir, "insert.sql");
    writeFileSync(script, `INSERT INTO ${schema}.events (payload) VALUES ('${PAYLOAD}'::jsonb);\n`);
    const args = [
      "-n",
      "-M",
      "prepared",
      "-h",
      url.hostname,
      "-p",
      url.port || "5432",
      "-U",
      decodeURIComponent(url.username || "postgres"),
      "-R",
      String(options.rate),
      "-c",
      String(options.clients),
      "-j",
      "2",
      "-T",
      String(options.seconds),
      "-l",
      `--log-prefix=${join(dir, "tx")}`,
      "-f",
      script,
      url.pathname.slice(1) || "postgres",
    ];
    const { code, stderr } = await run("pgbench", args, (options.seconds + 30) * 1000);
    if (code !== 0) return { error: `pgbench exited ${code}: ${stderr.slice(-1000)}` };
    // Per-transaction log: client_id transaction_no time_us script_no epoch epoch_us [schedule_lag_us]
    const latencies: number[] = [];
    for (const name of readdirSync(dir).filter((n) => n.startsWith("tx."))) {
      for (const line of readFileSync(join(dir, name), "utf8").split("\n")) {
        const micros = Number(line.split(" ")[2]);
        if (line !== "" && Number.isFinite(micros)) latencies.push(micros / 1000);
      }
    }
    return {
      rate: options.rate,
      clients: options.clients,
      seconds: options.seconds,
      transactions: latencies.length,
      transactionsPerSecond: Math.round(latencies.length / options.seconds),
      payloadBytes: Buffer.byteLength(PAYLOAD),
      latencyMs: summarize(latencies),
      command: `pgbench -n -M prepared -R ${options.rate} -c ${options.clients} -j 2 -T ${options.seconds} -l -f insert.sql`,
    };
  } finally {
    await client.end().catch(() => undefined);
    await dropSchema(schema).catch(() => undefined);
  }
}

function run(
  command: string,
  args: string[],
  timeoutMs: number,
): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = track(spawn(command, args, { stdio: ["ignore", "ignore", "pipe"] }));
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr = (stderr + chunk.toString("utf8")).slice(-4000);
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.once("error", (error) => {
      clearTimeout(timer);
      resolve({ code: -1, stderr: error.message });
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}
