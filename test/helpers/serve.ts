import { type ChildProcess, spawn } from "node:child_process";
import { CLI } from "./cli.js";

export interface ServeProcess {
  readonly child: ChildProcess;
  readonly url: string;
  readonly webhookUrl: string;
  readonly logs: string[];
  readonly stderr: string[];
  /** Sends SIGTERM and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `portcall serve` in its own process on an ephemeral loopback port. */
export function startServe(
  env: Record<string, string>,
  options: { cwd?: string; timeoutMs?: number } = {},
): Promise<ServeProcess> {
  const child = spawn(process.execPath, [CLI, "serve"], {
    cwd: options.cwd,
    env: { PATH: process.env.PATH ?? "", HOST: "127.0.0.1", PORT: "0", LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const logs: string[] = [];
  const stderr: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`serve did not start within ${options.timeoutMs ?? 10_000} ms: ${stderr.join("")}`));
    }, options.timeoutMs ?? 10_000);
    let buffered = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split("\n");
      buffered = lines.pop() ?? "";
      for (const line of lines) {
        logs.push(line);
        const parsed = safeJson(line);
        if (parsed?.msg === "listening" && typeof parsed.url === "string") {
          clearTimeout(timer);
          const webhookUrl = parsed.url;
          resolve({
            child,
            logs,
            stderr,
            webhookUrl,
            url: webhookUrl.replace(/\/webhooks\/flexport$/, ""),
            stop: (signal = "SIGTERM") => {
              child.kill(signal);
              return exited;
            },
          });
        }
      }
    });
    child.stderr?.on("data", (chunk: Buffer) => stderr.push(chunk.toString()));
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code} before listening: ${stderr.join("")}`));
    });
  });
}

function safeJson(line: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
