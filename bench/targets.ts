import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { packagePath } from "../src/paths.js";
import { freePort, httpStatus, spawnTracked, stop, waitUntil } from "./processes.js";

export const BENCH_SECRET = "portcall-bench-secret-0123456789abcdef";
export const PG_URL = process.env.BENCH_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";

export type TargetName =
  | "ceiling"
  | "naive-peer"
  | "minimal-peer"
  | "portcall-sqlite"
  | "portcall-sqlite-info"
  | "portcall-sqlite-alerts"
  | "portcall-postgres";

export interface TargetSpec {
  readonly name: TargetName;
  readonly label: string;
}

export const TARGETS: Record<TargetName, TargetSpec> = {
  ceiling: { name: "ceiling", label: "ceiling (bare node:http, reads body, 200)" },
  "naive-peer": {
    name: "naive-peer",
    label: "naive peer (Express 5 + express.raw + HMAC + 1 SQLite txn/request, synchronous=FULL)",
  },
  "minimal-peer": {
    name: "minimal-peer",
    label:
      "minimal peer (node:http + HMAC + JSON.parse + queue, 1 SQLite txn per event-loop turn on the main thread, synchronous=FULL)",
  },
  "portcall-sqlite": { name: "portcall-sqlite", label: "portcall serve, SQLite, LOG_LEVEL=warn" },
  "portcall-sqlite-info": {
    name: "portcall-sqlite-info",
    label: "portcall serve, SQLite, LOG_LEVEL=info (the default)",
  },
  "portcall-sqlite-alerts": {
    name: "portcall-sqlite-alerts",
    label:
      "portcall serve, SQLite, LOG_LEVEL=warn, with one Slack alert rule and one forwarding rule (both to a local HTTP stand-in)",
  },
  "portcall-postgres": { name: "portcall-postgres", label: "portcall serve, PostgreSQL, LOG_LEVEL=warn" },
};

export interface RunningTarget {
  readonly spec: TargetSpec;
  readonly child: ChildProcess;
  readonly pid: number;
  readonly url: string;
  readonly webhookUrl: string;
  /** Ids present in the database (after stop(), so everything acknowledged is committed). */
  storedIds(): Promise<Set<string>>;
  /** The alerts target: stored events its rules match (read while it runs). */
  alertsMatching?(): number;
  stop(): Promise<void>;
  /** Removes the database (file or schema). */
  cleanup(): Promise<void>;
}

/** The bundled CLI, as `npm start` and the package's bin run it. */
export const CLI = packagePath("dist", "bundle", "main.js");

/** Schemas created by this run and not yet dropped, so an interrupted run can still drop them. */
const activeSchemas = new Set<string>();

/** A fresh schema name, remembered until dropSchema() drops it. */
export function newSchema(): string {
  const schema = `bench_${randomBytes(5).toString("hex")}`;
  activeSchemas.add(schema);
  return schema;
}

export async function dropActiveSchemas(): Promise<void> {
  await Promise.all([...activeSchemas].map((schema) => dropSchema(schema).catch(() => undefined)));
}

/** Starts a target in its own process, each with a fresh database, and waits until it answers. */
export async function startTarget(
  spec: TargetSpec,
  workDir: string,
  options: { nodeArgs?: readonly string[]; cli?: string; env?: Readonly<Record<string, string>> } = {},
): Promise<RunningTarget> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const dir = join(workDir, `${spec.name}-${randomBytes(3).toString("hex")}`);
  mkdirSync(dir, { recursive: true });
  const base = {
    PORT: String(port),
    HOST: "127.0.0.1",
    FLEXPORT_WEBHOOK_SECRET: BENCH_SECRET,
    ...options.env,
  };
  const cli = options.cli ?? CLI;
  const nodeArgs = options.nodeArgs ?? [];
  let child: ChildProcess;
  let readyPath = "/readyz";
  let storedIds: () => Promise<Set<string>> = async () => new Set();
  let alertsMatching: (() => number) | undefined;
  let cleanup: () => Promise<void> = async () => undefined;
  switch (spec.name) {
    case "ceiling":
      readyPath = "/";
      child = spawnTracked(
        process.execPath,
        [...nodeArgs, packagePath("dist", "bench", "servers", "ceiling.js")],
        base,
      );
      break;
    case "naive-peer":
    case "minimal-peer": {
      const file = join(dir, "peer.db");
      child = spawnTracked(
        process.execPath,
        [...nodeArgs, packagePath("dist", "bench", "servers", `${spec.name}.js`)],
        { ...base, BENCH_DB: file },
      );
      storedIds = async () => sqliteIds(file, "SELECT id FROM events");
      break;
    }
    case "portcall-sqlite":
    case "portcall-sqlite-info":
    case "portcall-sqlite-alerts": {
      const file = join(dir, "b.db");
      child = spawnTracked(process.execPath, [...nodeArgs, cli, "serve"], {
        ...base,
        DATABASE_URL: `sqlite:${file}`,
        PORTCALL_DATA_DIR: dir,
        LOG_LEVEL: spec.name === "portcall-sqlite-info" ? "info" : "warn",
        ...(spec.name === "portcall-sqlite-alerts" ? await alertsConfig(dir) : {}),
      });
      storedIds = async () => sqliteIds(file, "SELECT id FROM flexport_events");
      if (spec.name === "portcall-sqlite-alerts")
        alertsMatching = () =>
          sqliteCount(
            file,
            `SELECT count(*) FROM flexport_events WHERE type IN (${ALERT_TYPES.map((t) => `'${t}'`).join(", ")})`,
          );
      break;
    }
    case "portcall-postgres": {
      const schema = newSchema();
      child = spawnTracked(process.execPath, [...nodeArgs, cli, "serve"], {
        ...base,
        DATABASE_URL: PG_URL,
        PORTCALL_DB_SCHEMA: schema,
        PORTCALL_DATA_DIR: dir,
        LOG_LEVEL: "warn",
      });
      storedIds = async () => postgresIds(`SELECT id FROM ${schema}.flexport_events`);
      cleanup = () => dropSchema(schema);
      break;
    }
  }
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${spec.name} did not start`);
  await waitUntil(child, async () => (await httpStatus(`${url}${readyPath}`)) === 200, 20_000, spec.name);
  return {
    spec,
    child,
    pid,
    url,
    webhookUrl: `${url}/webhooks/flexport`,
    storedIds,
    ...(alertsMatching !== undefined ? { alertsMatching } : {}),
    stop: () => stop(child),
    cleanup,
  };
}

/** Where the alerts target's Slack and forwarding destinations send: a local stand-in answering 200. */
let destinationStandIn: Promise<{ url: string; received: () => number }> | undefined;
export function alertDestinationStandIn(): Promise<{ url: string; received: () => number }> {
  destinationStandIn ??= new Promise((resolve) => {
    let received = 0;
    const server = createServer((req, res) => {
      req.resume();
      req.on("end", () => {
        received++;
        res.end("ok");
      });
    });
    server.unref();
    server.listen(0, "127.0.0.1", () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        received: () => received,
      }),
    );
  });
  return destinationStandIn;
}

/**
 * The issue's alerts case: one Slack rule (the departures of the traffic, about a sixth of it)
 * and one forwarding rule (arrivals, the raw event to a signed webhook), both to the stand-in.
 */
async function alertsConfig(dir: string): Promise<Record<string, string>> {
  const { url } = await alertDestinationStandIn();
  const file = join(dir, "portcall.yaml");
  writeFileSync(
    file,
    [
      "destinations:",
      "  ops-slack:",
      "    type: slack",
      "    urlEnv: BENCH_SLACK_URL",
      "  erp:",
      "    type: webhook",
      `    url: ${url}/erp`,
      "    secretEnv: BENCH_WEBHOOK_SECRET",
      "rules:",
      "  - name: departures",
      `    when: { types: ["${ALERT_TYPES[0]}"] }`,
      "    to: ops-slack",
      "  - name: forward-arrivals",
      `    when: { types: ["${ALERT_TYPES[1]}"] }`,
      "    send: event",
      "    to: erp",
      "",
    ].join("\n"),
  );
  return {
    PORTCALL_CONFIG: file,
    BENCH_SLACK_URL: `${url}/services/T/B/bench`,
    BENCH_WEBHOOK_SECRET: `whsec_${Buffer.from("portcall-bench-forwarding-secret").toString("base64")}`,
  };
}

/** The types the alerts target's two rules match: departures to Slack, arrivals forwarded. */
const ALERT_TYPES = ["/shipment_leg#departed", "/shipment_leg#arrived"] as const;

function sqliteCount(file: string, sql: string): number {
  const db = new Database(file, { readonly: true });
  try {
    return Number(db.prepare(sql).pluck().get());
  } finally {
    db.close();
  }
}

function sqliteIds(file: string, sql: string): Set<string> {
  const db = new Database(file, { readonly: true });
  try {
    return new Set(db.prepare(sql).pluck().all() as string[]);
  } finally {
    db.close();
  }
}

async function postgresIds(sql: string): Promise<Set<string>> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    const result = await client.query<{ id: string }>(sql);
    return new Set(result.rows.map((row) => String(row.id)));
  } finally {
    await client.end();
  }
}

export async function dropSchema(schema: string): Promise<void> {
  if (!/^bench_[a-z0-9_]+$/.test(schema)) throw new Error(`refusing to drop schema "${schema}"`);
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    activeSchemas.delete(schema);
  } finally {
    await client.end();
  }
}

/** undefined when PostgreSQL answers; otherwise why not, for the skip note. */
export async function postgresUnavailable(): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query("SELECT 1");
    return undefined;
  } catch (error) {
    return `PostgreSQL at ${PG_URL.replace(/\/\/[^@]*@/, "//")} is unreachable: ${(error as Error).message}`;
  } finally {
    await client.end().catch(() => undefined);
  }
}
