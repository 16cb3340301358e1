import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { drive } from "./drive.js";
import type { LoadJob } from "./load-protocol.js";
import { killAll } from "./processes.js";
import { BENCH_SECRET, CLI, dropActiveSchemas, startTarget, TARGETS, type TargetName } from "./targets.js";

/**
 * Interleaved A/B runs of one target: `node dist/bench/ab.js --a <other build's
 * dist/src/cli/main.js> [--b <cli>] [--target portcall-sqlite] [--rounds 3] [--seconds 8]
 * [--connections 64 | --rate 1000] [--env-b NAME=VALUE]`. Each round runs A then B in the same window, so a busy
 * machine slows both alike; it prints throughput, p99 and CPU per delivery by thread.
 */
function arg(name: string, fallback: string): string {
  const at = process.argv.indexOf(name);
  return at < 0 ? fallback : (process.argv[at + 1] ?? fallback);
}

async function main(): Promise<void> {
  const a = resolve(arg("--a", CLI));
  const b = resolve(arg("--b", CLI));
  const name = arg("--target", "portcall-sqlite") as TargetName;
  const spec = TARGETS[name];
  if (spec === undefined) throw new Error(`--target: unknown target "${name}"`);
  const rounds = Number(arg("--rounds", "3"));
  const seconds = Number(arg("--seconds", "8"));
  const connections = Number(arg("--connections", "64"));
  const rate = Number(arg("--rate", "0"));
  const envB = arg("--env-b", "");
  const bEnv: Record<string, string> = envB.includes("=")
    ? { [envB.slice(0, envB.indexOf("="))]: envB.slice(envB.indexOf("=") + 1) }
    : {};
  const workDir = mkdtempSync(join(tmpdir(), "portcall-ab-"));
  let idBase = 8_000_000_000;
  try {
    for (let round = 1; round <= rounds; round++) {
      for (const [label, cli] of [
        ["A", a],
        ["B", b],
      ] as const) {
        const target = await startTarget(spec, workDir, { cli, env: label === "B" ? bEnv : {} });
        idBase += 10_000_000;
        const traffic = {
          idBase,
          seed: round,
          secret: BENCH_SECRET,
          pool: rate > 0 ? rate * seconds + 10 : 60_000,
        };
        const job: LoadJob =
          rate > 0
            ? { mode: "open", url: target.webhookUrl, rate, seconds, maxInFlight: 1024, traffic }
            : { mode: "closed", url: target.webhookUrl, connections, warmupSeconds: 1, seconds, traffic };
        try {
          const { run } = await drive(job, target.pid, (seconds + 60) * 1000);
          const t = run.threadCpuSecondsPer1000;
          process.stdout.write(
            `round ${round} ${label}: ${run.requestsPerSecond} req/s, p50 ${run.latencyMs.p50} p99 ${run.latencyMs.p99} ms, ` +
              `CPU ms/delivery ${run.cpuSecondsPer1000} (main ${t?.main}, next ${t?.busiestOthers.join(" / ")}, rest ${t?.rest})\n`,
          );
        } finally {
          await target.stop();
          await target.cleanup().catch(() => undefined);
        }
      }
    }
  } finally {
    killAll();
    await dropActiveSchemas();
    rmSync(workDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  killAll();
  process.exitCode = 1;
});
