import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { drive } from "./drive.js";
import { killAll } from "./processes.js";
import { BENCH_SECRET, startTarget, TARGETS } from "./targets.js";

/**
 * One portcall (SQLite) server, the fixed-rate run twice in a row: the first round meets a cold
 * server (JIT, first statements), the second a warm one, so the two p99s tell warm-up from the
 * steady state. Then the server's own view from /metrics: time from a complete body to the
 * answer, and commit times. `node dist/bench/steady-state.js [--rate 1000] [--seconds 8]
 * [--ui false]` (the dashboard on by default, as `portcall serve` runs).
 */
const args = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const i = args.indexOf(name);
  return i === -1 ? fallback : (args[i + 1] ?? fallback);
};
const rate = Number(option("--rate", "1000"));
const seconds = Number(option("--seconds", "8"));
const dir = mkdtempSync(join(tmpdir(), "portcall-steady-"));
try {
  const target = await startTarget(TARGETS["portcall-sqlite"], dir, {
    env: { PORTCALL_UI: option("--ui", "true") },
  });
  try {
    for (const round of [1, 2]) {
      const { run } = await drive(
        {
          mode: "open",
          url: target.webhookUrl,
          rate,
          seconds,
          maxInFlight: 1024,
          traffic: {
            idBase: 9_000_000_000 + round * 10_000_000,
            seed: round,
            secret: BENCH_SECRET,
            pool: rate * seconds + 10,
          },
        },
        target.pid,
        (seconds + 60) * 1000,
      );
      const l = run.latencyMs;
      console.log(
        `round ${round} (${round === 1 ? "cold" : "warm"}): p50 ${l.p50} p90 ${l.p90} p99 ${l.p99} max ${l.max} ms`,
      );
    }
    const metrics = await (await fetch(`${target.url}/metrics`)).text();
    const wanted =
      /^portcall_(delivery_duration_seconds_bucket|commit_duration_seconds_bucket|commit_batch_size_(sum|count))/;
    console.log(
      metrics
        .split("\n")
        .filter((line) => wanted.test(line))
        .join("\n"),
    );
  } finally {
    await target.stop();
    await target.cleanup();
  }
} finally {
  killAll();
  rmSync(dir, { recursive: true, force: true });
}
