import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { packagePath } from "../src/paths.js";
import { freePort, httpStatus, spawnTracked, stop, waitUntil } from "./processes.js";
import { BENCH_SECRET, CLI } from "./targets.js";
import { generateTraffic } from "./traffic.js";

export interface ColdStartResult {
  readonly runsMs?: number[];
  readonly medianMs?: number;
  readonly skipped?: string;
  /** Packages loaded by the time the first 200 was sent (function entry point only). */
  readonly loadedPackages?: string[];
  readonly unusedHeavyPackagesLoaded?: string[];
}

/** Timed: the bundled entry point the package's main names. */
const FUNCTION_ENTRY = packagePath("dist", "bundle", "index.mjs");
/**
 * Probed for the packages it loads: the unbundled one, whose imports Node resolves one by
 * one, so the probe sees every package the entry point's import graph reaches.
 */
const FUNCTION_SOURCE = packagePath("dist", "src", "function", "index.js");
const FRAMEWORK_MAIN = packagePath(
  "node_modules",
  "@google-cloud",
  "functions-framework",
  "build",
  "src",
  "main.js",
);
const PROBE = packagePath("dist", "bench", "module-probe.js");
/** With ARCHIVE_URL=file: only, none of these has any use in the function. */
const HEAVY = ["pg", "@google-cloud/storage", "@google-cloud/bigquery", "better-sqlite3", "fastify"];

/**
 * Process start to the first 200 on a signed delivery: the child is spawned, then a signed
 * POST is retried every few milliseconds until one is answered 200. Each run has a fresh
 * database, so the time includes opening it and applying migrations.
 */
export async function serverColdStart(workDir: string, runs: number): Promise<ColdStartResult> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const dir = join(workDir, `cold-server-${i}`);
    mkdirSync(dir, { recursive: true });
    const port = await freePort();
    const started = performance.now();
    const child = spawnTracked(process.execPath, [CLI, "serve"], {
      PORT: String(port),
      HOST: "127.0.0.1",
      FLEXPORT_WEBHOOK_SECRET: BENCH_SECRET,
      DATABASE_URL: `sqlite:${join(dir, "cold.db")}`,
      PORTCALL_DATA_DIR: dir,
      LOG_LEVEL: "warn",
    });
    try {
      times.push(await firstOk(child, `http://127.0.0.1:${port}/webhooks/flexport`, started, 9_000_000 + i));
    } finally {
      await stop(child);
    }
  }
  return summarize(times);
}

export async function functionColdStart(workDir: string, runs: number): Promise<ColdStartResult> {
  if (!existsSync(FUNCTION_ENTRY)) return { skipped: "dist/bundle/index.mjs does not exist" };
  if (!existsSync(FRAMEWORK_MAIN)) return { skipped: "@google-cloud/functions-framework is not installed" };
  const times: number[] = [];
  let loadedPackages: string[] | undefined;
  // Run 0 is the probe (unbundled, not timed); runs 1..n are timed on the bundle.
  for (let i = 0; i <= runs; i++) {
    const dir = join(workDir, `cold-function-${i}`);
    mkdirSync(dir, { recursive: true });
    const probeOut = join(dir, "modules.json");
    const port = await freePort();
    const started = performance.now();
    const child = spawnTracked(
      process.execPath,
      [
        "--import",
        pathToFileURL(PROBE).href,
        FRAMEWORK_MAIN,
        "--target=flexportWebhook",
        `--source=${i === 0 ? FUNCTION_SOURCE : FUNCTION_ENTRY}`,
        `--port=${port}`,
      ],
      {
        FLEXPORT_WEBHOOK_SECRET: BENCH_SECRET,
        ARCHIVE_URL: `file:${join(dir, "archive")}`,
        BENCH_MODULE_PROBE_OUT: probeOut,
      },
    );
    try {
      const ms = await firstOk(child, `http://127.0.0.1:${port}/`, started, 9_100_000 + i);
      if (i > 0) times.push(ms);
      if (i === 0) {
        child.kill("SIGUSR2");
        await waitUntil(child, async () => existsSync(probeOut), 3000, "module probe", 10);
        loadedPackages = JSON.parse(readFileSync(probeOut, "utf8")) as string[];
      }
    } finally {
      await stop(child);
    }
  }
  return {
    ...summarize(times),
    ...(loadedPackages
      ? { loadedPackages, unusedHeavyPackagesLoaded: loadedPackages.filter((p) => HEAVY.includes(p)) }
      : {}),
  };
}

async function firstOk(
  child: Parameters<typeof waitUntil>[0],
  url: string,
  started: number,
  id: number,
): Promise<number> {
  const [delivery] = generateTraffic({
    count: 1,
    idBase: id,
    seed: id,
    secret: BENCH_SECRET,
    redeliveryRate: 0,
    badSignatureRate: 0,
  });
  if (delivery === undefined) throw new Error("no delivery generated");
  let elapsed = 0;
  await waitUntil(
    child,
    async () => {
      const status = await httpStatus(url, {
        method: "POST",
        headers: delivery.headers,
        body: delivery.body,
      });
      if (status === 200) elapsed = performance.now() - started;
      return status === 200;
    },
    20_000,
    "cold start",
    5,
  );
  return Math.round(elapsed * 10) / 10;
}

function summarize(times: number[]): ColdStartResult {
  const sorted = [...times].sort((a, b) => a - b);
  return { runsMs: times, medianMs: sorted[Math.floor(sorted.length / 2)] ?? 0 };
}
