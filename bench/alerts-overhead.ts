import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { packagePath } from "../src/paths.js";
import { drive } from "./drive.js";
import { killAll } from "./processes.js";
import { BENCH_SECRET, startTarget, TARGETS } from "./targets.js";

/**
 * What configured alerts cost the receive path: `portcall serve` (SQLite) with and without
 * PORTCALL_SLACK_WEBHOOK_URL (the built-in rules, to a local HTTP server answering 200),
 * closed loop, rounds alternating so drift on a shared machine hits both alike.
 * `node dist/bench/alerts-overhead.js [--rounds N] [--seconds S]`
 */
const args = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const i = args.indexOf(name);
  return i === -1 ? fallback : Number(args[i + 1]);
};
const rounds = option("--rounds", 3);
const seconds = option("--seconds", 8);
const connections = 16;

const received = { requests: 0 };
const slack = createServer((req, res) => {
  req.resume();
  req.on("end", () => {
    received.requests++;
    res.end("ok");
  });
});
await new Promise<void>((resolve) => slack.listen(0, "127.0.0.1", resolve));
const slackUrl = `http://127.0.0.1:${(slack.address() as AddressInfo).port}/services/T/B/bench`;
const workDir = mkdtempSync(join(tmpdir(), "portcall-alerts-bench-"));
const results: { round: number; alerts: boolean; requestsPerSecond: number; p99: number }[] = [];
let idBase = 8_000_000_000;

try {
  for (let round = 1; round <= rounds; round++) {
    for (const alerts of round % 2 === 1 ? [false, true] : [true, false]) {
      const target = await startTarget(TARGETS["portcall-sqlite"], workDir, {
        env: alerts ? { PORTCALL_SLACK_WEBHOOK_URL: slackUrl } : {},
      });
      try {
        idBase += 10_000_000;
        const { run } = await drive(
          {
            mode: "closed",
            url: target.webhookUrl,
            connections,
            warmupSeconds: 2,
            seconds,
            traffic: { idBase, seed: round, secret: BENCH_SECRET, pool: 20_000 },
          },
          target.pid,
          (seconds + 30) * 1000,
        );
        results.push({ round, alerts, requestsPerSecond: run.requestsPerSecond, p99: run.latencyMs.p99 });
        console.log(
          `round ${round}, alerts ${alerts ? "on " : "off"}: ${run.requestsPerSecond} req/s, p99 ${run.latencyMs.p99} ms`,
        );
      } finally {
        await target.stop();
        await target.cleanup();
      }
    }
  }
} finally {
  killAll();
  slack.close();
  rmSync(workDir, { recursive: true, force: true });
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
};
const off = median(results.filter((r) => !r.alerts).map((r) => r.requestsPerSecond));
const on = median(results.filter((r) => r.alerts).map((r) => r.requestsPerSecond));
const summary = {
  date: new Date().toISOString(),
  node: process.version,
  connections,
  seconds,
  rounds,
  medianRequestsPerSecond: { alertsOff: off, alertsOn: on },
  cost: off === 0 ? null : Math.round((1 - on / off) * 1000) / 10,
  alertsReceivedBySlackStandIn: received.requests,
  runs: results,
};
writeFileSync(
  packagePath("bench", "results", "alerts-overhead.json"),
  `${JSON.stringify(summary, null, 2)}\n`,
);
console.log(`median: off ${off} req/s, on ${on} req/s, cost ${summary.cost}%`);
