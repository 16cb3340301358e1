import { type ChildProcess, execFileSync, fork, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { createServer, request } from "node:http";

// The bench imports nothing from test/, on purpose, and so has its own freePort (below),
// seeded random generator (traffic.ts), PostgreSQL probe (targets.ts) and load generator
// (load-worker.ts: autocannon closed loop plus an open-loop sender, unlike the tests'
// correctness load in test/helpers/delivery-load.ts). Its figures are recorded in
// bench/results and compared across runs, so the traffic it sends must not change when a
// test helper does; and it runs from dist/bench as a program of its own.

/**
 * Every child the bench starts is tracked here and killed when the bench exits, however it
 * exits, so no server or load generator outlives a run.
 */
const children = new Set<ChildProcess>();

export function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once("exit", () => children.delete(child));
  return child;
}

export function killAll(): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
  children.clear();
}

export function spawnTracked(
  command: string,
  args: readonly string[],
  env: Readonly<Record<string, string>>,
  options: { quiet?: boolean } = {},
): ChildProcess {
  const child = spawn(command, args, {
    env: { ...process.env, ...env },
    stdio: ["ignore", options.quiet === false ? "inherit" : "pipe", "pipe"],
  });
  // Drained so a chatty server never blocks on a full pipe; the tail of stderr is kept for errors.
  let tail = "";
  child.stdout?.resume();
  child.stderr?.on("data", (chunk: Buffer) => {
    tail = (tail + chunk.toString("utf8")).slice(-4000);
  });
  Object.defineProperty(child, "stderrTail", { get: () => tail });
  return track(child);
}

export function stderrTail(child: ChildProcess): string {
  return (child as ChildProcess & { stderrTail?: string }).stderrTail ?? "";
}

export function forkTracked(module: string, args: readonly string[] = []): ChildProcess {
  return track(fork(module, args, { stdio: ["ignore", "inherit", "inherit", "ipc"] }));
}

/** A port free right now on 127.0.0.1 (the OS picks it; the server then binds it itself). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject()));
    });
  });
}

/** One HTTP exchange on 127.0.0.1; resolves the status, or undefined when nothing listens yet. */
export function httpStatus(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: Buffer } = {},
): Promise<number | undefined> {
  return new Promise((resolve) => {
    const req = request(
      url,
      { method: options.method ?? "GET", headers: options.headers, timeout: 5000 },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode));
      },
    );
    req.on("error", () => resolve(undefined));
    req.on("timeout", () => req.destroy());
    req.end(options.body);
  });
}

/** Polls until `probe` says yes, the child dies, or the time is up. */
export async function waitUntil(
  child: ChildProcess,
  probe: () => Promise<boolean>,
  timeoutMs: number,
  what: string,
  intervalMs = 20,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `${what} exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${stderrTail(child)}`,
      );
    }
    if (await probe()) return;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`${what} was not ready after ${timeoutMs} ms:\n${stderrTail(child)}`);
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
export function stop(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** user + system CPU seconds in a /proc stat line (a process's or one thread's). */
function statCpuSeconds(path: string): number {
  const stat = readFileSync(path, "utf8");
  // Fields after the command name, which is in parentheses and may itself hold spaces.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** user + system CPU seconds of a process so far (all its threads), from /proc/<pid>/stat. */
export function cpuSeconds(pid: number): number {
  return statCpuSeconds(`/proc/${pid}/stat`);
}

/**
 * CPU seconds so far of each live thread of a process, by thread id, from
 * /proc/<pid>/task/<tid>/stat. Node 20 names every thread "node", so threads are told
 * apart by id only: the main thread's id is the pid.
 */
export function threadCpuSeconds(pid: number): Map<number, number> {
  const out = new Map<number, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      out.set(Number(tid), statCpuSeconds(`/proc/${pid}/task/${tid}/stat`));
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return out;
}

/** Peak resident set (VmHWM) of a process, in MB. */
export function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = /^VmHWM:\s+(\d+)\s+kB/m.exec(status)?.[1];
  if (kb === undefined) throw new Error(`no VmHWM in /proc/${pid}/status`);
  return Math.round((Number(kb) / 1024) * 10) / 10;
}
