import { performance } from "node:perf_hooks";
import { createLogger } from "../src/server/logger.js";

/**
 * `node dist/bench/log-format.js`: the cost of one delivery log line in each format,
 * written to a destination that drops it (so only formatting is measured), in CPU time, and
 * how long creating the first Cloud Logging logger takes (it loads @google-cloud/logging).
 * Prints JSON.
 */
const LINES = Number(process.env.LOG_BENCH_LINES ?? 200_000);
const ROUNDS = 5;
const sink = { write: () => true } as unknown as NodeJS.WritableStream;
const line = {
  trace_id: "105445aa7843bc8bf206b12000100000",
  span_id: "0000000000000002",
  trace_flags: "01",
  id: "7100001",
  type: "/shipment_leg#departed",
  outcome: "stored",
  status: 200,
  bytes: 812,
  ms: 1.23,
};

const loadStart = performance.now();
const gcp = createLogger({ level: "info", format: "gcp", project: "bench", destination: sink });
const gcpLoadMs = performance.now() - loadStart;
const json = createLogger({ level: "info", format: "json", destination: sink });

/** CPU time (user + system) per line, best round: less swayed by other processes than wall time. */
function nsPerLine(logger: typeof json): number {
  const best: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const start = process.cpuUsage();
    for (let i = 0; i < LINES; i++) logger.info(line, "delivery");
    const used = process.cpuUsage(start);
    best.push(((used.user + used.system) * 1e3) / LINES);
  }
  return Math.round(Math.min(...best));
}

nsPerLine(json);
nsPerLine(gcp);
process.stdout.write(
  `${JSON.stringify({ lines: LINES, rounds: ROUNDS, jsonNsPerLine: nsPerLine(json), gcpNsPerLine: nsPerLine(gcp), gcpFirstCreateMs: Math.round(gcpLoadMs) })}\n`,
);
