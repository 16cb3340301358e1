import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { LoadOptions, LoadReport } from "./load-generator.js";

const SCRIPT = fileURLToPath(new URL("./load-generator.js", import.meta.url));

export interface LoadProcess {
  readonly pid: number | undefined;
  /** Asks the generator to finish its in-flight deliveries and report. */
  stop(): Promise<LoadReport>;
}

/** Starts the load generator in another process. */
export function startLoad(options: LoadOptions): LoadProcess {
  const child = fork(SCRIPT, [], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const report = new Promise<LoadReport>((resolve, reject) => {
    child.on("message", (message: { kind: string; report?: LoadReport }) => {
      if (message.kind === "report" && message.report !== undefined) resolve(message.report);
    });
    child.on("exit", (code) => reject(new Error(`load generator exited with ${code} before reporting`)));
  });
  child.send({ kind: "start", options });
  return {
    pid: child.pid,
    stop: async () => {
      if (child.connected) child.send({ kind: "stop" });
      return report;
    },
  };
}
