import { spawn } from "node:child_process";
import { packagePath } from "../../src/paths.js";

export const CLI = packagePath("dist", "src", "cli", "main.js");
/** The bundled CLI: what `npm start`, the package's bin and the container run. */
export const BUNDLED_CLI = packagePath("dist", "bundle", "main.js");

export interface CliResult {
  readonly code: number | null;
  readonly stdout: Buffer;
  readonly stderr: string;
}

/** Runs the real CLI in its own process with the given environment (added to a minimal one). */
export function runCli(
  args: string[],
  env: Record<string, string>,
  options: { cwd?: string; timeoutMs?: number; cli?: string } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [options.cli ?? CLI, ...args], {
      cwd: options.cwd,
      env: { PATH: process.env.PATH ?? "", LOG_LEVEL: "warn", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => out.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => err.push(chunk));
    // A command that should end but does not is killed, so the test fails instead of hanging.
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => child.kill("SIGKILL"), options.timeoutMs);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString("utf8") });
    });
  });
}

export function jsonOf<T>(result: CliResult): T {
  return JSON.parse(result.stdout.toString("utf8")) as T;
}
