import type { ChildProcess } from "node:child_process";
import { packagePath } from "../src/paths.js";
import type { LoadJob, LoadResult, ParentMessage, WorkerMessage } from "./load-protocol.js";
import { cpuSeconds, forkTracked, stop, threadCpuSeconds } from "./processes.js";

export interface DrivenRun extends Omit<LoadResult, "storedIds"> {
  /** user+system seconds the server process spent during the measured phase. */
  readonly serverCpuSeconds: number;
  readonly cpuSecondsPer1000: number;
  /**
   * The same, split by thread (from /proc/<pid>/task): the main thread, the two busiest
   * other threads (for portcall on SQLite: its writer, then its checkpointer or a V8 helper),
   * and all the rest (V8's GC and compiler helpers, libuv's pool).
   */
  readonly threadCpuSecondsPer1000?: ThreadCpu;
  readonly generated: { deliveries: number; mb: number; ms: number };
}

export interface ThreadCpu {
  readonly main: number;
  readonly busiestOthers: number[];
  readonly rest: number;
}

function splitByThread(
  pid: number,
  before: Map<number, number>,
  after: Map<number, number>,
  requests: number,
): ThreadCpu | undefined {
  if (requests === 0) return undefined;
  const per1000 = (seconds: number) => Math.round((seconds / requests) * 1000 * 1000) / 1000;
  const deltas = [...after].map(([tid, cpu]) => [tid, cpu - (before.get(tid) ?? 0)] as const);
  const others = deltas
    .filter(([tid]) => tid !== pid)
    .map(([, d]) => d)
    .sort((a, b) => b - a);
  return {
    main: per1000(deltas.find(([tid]) => tid === pid)?.[1] ?? 0),
    busiestOthers: others.slice(0, 2).map(per1000),
    rest: per1000(others.slice(2).reduce((a, b) => a + b, 0)),
  };
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
    let threadsBefore = new Map<number, number>();
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
            threadsBefore = threadCpuSeconds(serverPid);
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
    const byThread = splitByThread(serverPid, threadsBefore, threadCpuSeconds(serverPid), result.requests);
    const { storedIds, ...rest } = result;
    return {
      run: {
        ...rest,
        requestsPerSecond: Math.round(rest.requestsPerSecond),
        serverCpuSeconds: Math.round(serverCpu * 100) / 100,
        cpuSecondsPer1000:
          rest.requests > 0 ? Math.round((serverCpu / rest.requests) * 1000 * 1000) / 1000 : 0,
        ...(byThread ? { threadCpuSecondsPer1000: byThread } : {}),
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
