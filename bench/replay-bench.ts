import { createHash } from "node:crypto";
import { appendFileSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { archiveKey, metadataToRecord } from "../src/archive/archive.js";
import { METADATA_SUFFIX, PACKS_FOLDER, packRecord } from "../src/archive/file-archive.js";
import { packagePath } from "../src/paths.js";
import { spawnTracked } from "./processes.js";
import { CLI, dropSchema, newSchema, PG_URL } from "./targets.js";
import { generateTraffic } from "./traffic.js";

export interface ReplayRun {
  readonly events?: number;
  readonly inserted?: number;
  /** Events per second by the command's own clock (archive listing to last commit). */
  readonly eventsPerSecond?: number;
  /** Events per second over the whole process, start-up and migrations included. */
  readonly wallEventsPerSecond?: number;
  readonly wallSeconds?: number;
  readonly skipped?: string;
  /** Set when the time limit stopped the replay before the end. */
  readonly partial?: string;
}

export interface ReplayResult {
  readonly archive?: { events: number; mb: number; writeSeconds: number };
  readonly sqlite: ReplayRun;
  readonly postgres: ReplayRun;
}

/**
 * Writes `events` unique events straight into the `file:` archive layout (object, metadata
 * sidecar and day pack, as src/archive/file-archive.ts lays them out, without its per-file
 * fsync, which only the writer pays), then times `portcall replay file:<dir>` into a fresh
 * SQLite database and a fresh PostgreSQL schema.
 */
export async function replayBench(
  workDir: string,
  events: number,
  postgresSkip: string | undefined,
  /** Time left for each replay, asked just before it starts (the bench has an overall budget). */
  timeLeftMs: () => number,
): Promise<ReplayResult> {
  if (!existsSync(packagePath("dist", "src", "cli", "commands", "replay.js"))) {
    const skipped = "src/cli/commands/replay.ts does not exist";
    return { sqlite: { skipped }, postgres: { skipped } };
  }
  const dir = join(workDir, "archive");
  const began = performance.now();
  let bytes = 0;
  const folders = new Set<string>();
  mkdirSync(join(dir, PACKS_FOLDER), { recursive: true });
  // Generated in slices so 200k bodies are never all in memory at once.
  for (let from = 0; from < events; from += 10_000) {
    const slice = generateTraffic({
      count: Math.min(10_000, events - from),
      idBase: 8_000_000 + from,
      seed: 77 + from,
      secret: "unused",
      redeliveryRate: 0,
      badSignatureRate: 0,
    });
    for (const [i, delivery] of slice.entries()) {
      // Ten days of partitions, as a real archive has.
      const receivedAt = `2024-03-${String(1 + ((from + i) % 10)).padStart(2, "0")}T12:00:00.000Z`;
      const key = archiveKey({ id: delivery.id, receivedAt });
      const folder = join(dir, key.slice(0, key.indexOf("/")));
      if (!folders.has(folder)) {
        mkdirSync(folder, { recursive: true });
        folders.add(folder);
      }
      const sha256 = createHash("sha256").update(delivery.body).digest("hex");
      const metadata = metadataToRecord({
        type: "/shipment#milestone",
        occurredAt: null,
        createdAt: null,
        receivedAt,
        signatureAlg: "sha256",
        payloadSha256: sha256,
      });
      writeFileSync(join(dir, key), delivery.body);
      writeFileSync(join(dir, `${key}${METADATA_SUFFIX}`), `${JSON.stringify(metadata)}\n`);
      const slash = key.indexOf("/");
      appendFileSync(
        join(dir, PACKS_FOLDER, `${key.slice(0, slash)}.pack`),
        packRecord(key.slice(slash + 1), delivery.body, metadata),
      );
      bytes += delivery.body.length;
    }
  }
  const archive = {
    events,
    mb: Math.round(bytes / 1e5) / 10,
    writeSeconds: Math.round((performance.now() - began) / 100) / 10,
  };
  const sqlite = await runReplay(dir, { DATABASE_URL: `sqlite:${join(workDir, "replay.db")}` }, timeLeftMs());
  let postgres: ReplayRun;
  if (postgresSkip !== undefined) postgres = { skipped: postgresSkip };
  else {
    const schema = newSchema();
    try {
      postgres = await runReplay(dir, { DATABASE_URL: PG_URL, PORTCALL_DB_SCHEMA: schema }, timeLeftMs());
    } finally {
      await dropSchema(schema).catch(() => undefined);
    }
  }
  return { archive, sqlite, postgres };
}

/**
 * Runs the command with a time limit. When the limit is hit, the rate is taken from the
 * last progress line the command printed (every 10 s when stderr is a pipe) and marked partial.
 */
function runReplay(dir: string, env: Record<string, string>, timeoutMs: number): Promise<ReplayRun> {
  const began = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawnTracked(process.execPath, [CLI, "replay", `file:${dir}`, "--json"], {
      ...env,
      LOG_LEVEL: "warn",
    });
    let stdout = "";
    let stderr = "";
    let progress: { read: number; at: number } | undefined;
    child.stdout?.on("data", (chunk: Buffer) => {
      stdout += chunk.toString("utf8");
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr = (stderr + chunk.toString("utf8")).slice(-8000);
      const matches = [...stderr.matchAll(/replay: (\d+) read/g)];
      const read = matches.at(-1)?.[1];
      if (read !== undefined) progress = { read: Number(read), at: performance.now() };
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.once("exit", (code) => {
      clearTimeout(timer);
      const wallSeconds = (performance.now() - began) / 1000;
      if (timedOut) {
        const read = progress?.read ?? 0;
        const seconds = ((progress?.at ?? performance.now()) - began) / 1000;
        resolve({
          events: read,
          eventsPerSecond: Math.round(read / seconds),
          wallSeconds: Math.round(wallSeconds * 100) / 100,
          partial: `stopped after the ${Math.round(timeoutMs / 1000)} s time limit; rate from the last progress line (${read} read at ${seconds.toFixed(1)} s)`,
        });
        return;
      }
      if (code !== 0) {
        reject(new Error(`portcall replay exited ${code}\n${stderr.slice(-2000)}`));
        return;
      }
      const summary = JSON.parse(stdout.slice(stdout.indexOf("{"))) as {
        read: number;
        inserted: number;
        seconds: number;
      };
      resolve({
        events: summary.read,
        inserted: summary.inserted,
        eventsPerSecond: Math.round(summary.read / summary.seconds),
        wallEventsPerSecond: Math.round(summary.read / wallSeconds),
        wallSeconds: Math.round(wallSeconds * 100) / 100,
      });
    });
  });
}
