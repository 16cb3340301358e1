import { type ChildProcess, spawn } from "node:child_process";

export interface Service {
  readonly child: ChildProcess;
  /** stdout and stderr so far, for assertion messages. */
  output(): string;
  /** Sends `signal`; resolves with the exit code and how long the exit took. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; ms: number }>;
}

/** Starts a program and waits until `readyUrl` answers HTTP at all (any status), or fails. */
export async function startService(
  command: string,
  args: string[],
  options: { cwd?: string; env: Record<string, string>; readyUrl: string; timeoutMs?: number },
): Promise<Service> {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const chunks: string[] = [];
  child.stdout?.on("data", (chunk: Buffer) => chunks.push(chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => chunks.push(chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const service: Service = {
    child,
    output: () => chunks.join(""),
    async stop(signal = "SIGTERM") {
      const started = performance.now();
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const code = await exited;
      return { code, ms: performance.now() - started };
    },
  };
  const deadline = Date.now() + (options.timeoutMs ?? 15_000);
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`${command} exited with ${child.exitCode}:\n${service.output()}`);
    try {
      await fetch(options.readyUrl, { method: "GET" });
      return service;
    } catch {
      if (Date.now() > deadline) {
        await service.stop("SIGKILL");
        throw new Error(`${command} did not answer on ${options.readyUrl}:\n${service.output()}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
