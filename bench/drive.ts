import type { ChildProcess } from "node:child_process";
import { packagePath } from "../src/paths.js";
import type { LoadJob, LoadResult, ParentMessage, WorkerMessage } from "./load-protocol.js";
import { cpuSeconds, forkTracked, stop } from "./processes.js";

export interface DrivenRun extends Omit<LoadResult, "storedIds"> {
  /** user+system seconds the server process spent during the measured phase. */
  readonly serverCpuSeconds: number;
  readonly cpuSecondsPer1000: number;
  readonly generated: { deliveries: number; mb: number; ms: number };
}

/**
 * Runs one load job from a separate load-generator process against a server process,
 * charging the server's CPU (from /proc) to the measured phase only.
 */
export async function drive(
  job: LoadJob,
  serverPid: number,
  timeoutMs: number,
): Promise<{ run: DrivenRun; storedIds: string[] }> {
  const worker = forkTracked(packagePath("dist", "bench", "load-worker.js"));
  const timer = setTimeout(() => worker.kill("SIGKILL"), timeoutMs);
  try {
    let generated = { deliveries: 0, mb: 0, ms: 0 };
    let cpuBefore = 0;
    const result = await new Promise<LoadResult>((resolve, reject) => {
      worker.on("message", (message: WorkerMessage) => {
        switch (message.type) {
          case "generated":
            generated = {
              deliveries: message.deliveries,
              mb: Math.round(message.bytes / 1e5) / 10,
              ms: message.ms,
            };
            break;
          case "measuring":
            cpuBefore = cpuSeconds(serverPid);
            send(worker, { type: "go" });
            break;
          case "result":
            resolve(message.result);
            break;
          case "error":
            reject(new Error(`load generator: ${message.message}`));
            break;
        }
      });
      worker.once("exit", (code, signal) =>
        reject(new Error(`load generator exited (${code ?? signal}) before it reported a result`)),
      );
      send(worker, { type: "job", job });
    });
    const serverCpu = cpuSeconds(serverPid) - cpuBefore;
    const { storedIds, ...rest } = result;
    return {
      run: {
        ...rest,
        requestsPerSecond: Math.round(rest.requestsPerSecond),
        serverCpuSeconds: Math.round(serverCpu * 100) / 100,
        cpuSecondsPer1000:
          rest.requests > 0 ? Math.round((serverCpu / rest.requests) * 1000 * 1000) / 1000 : 0,
        generated,
      },
      storedIds,
    };
  } finally {
    clearTimeout(timer);
    await stop(worker, 2000);
  }
}

function send(worker: ChildProcess, message: ParentMessage): void {
  worker.send(message);
}
