import type { LatencySummary } from "./load-protocol.js";

/** Percentiles of latencies in milliseconds (nearest rank), rounded to the microsecond. */
export function summarize(values: number[]): LatencySummary {
  if (values.length === 0) return { p50: 0, p90: 0, p99: 0, p99_9: 0, max: 0, mean: 0 };
  const sorted = Float64Array.from(values).sort();
  const at = (q: number) => round(sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? 0);
  const mean = sorted.reduce((sum, v) => sum + v, 0) / sorted.length;
  return {
    p50: at(0.5),
    p90: at(0.9),
    p99: at(0.99),
    p99_9: at(0.999),
    max: round(sorted.at(-1) ?? 0),
    mean: round(mean),
  };
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
