import { type App, buildApp } from "../../../src/server/app.js";
import { createLogger } from "../../../src/server/logger.js";
import { ReceiverMetrics } from "../../../src/server/metrics.js";
import type { EventStore } from "../../../src/stores/store.js";

/** The real app, not listening, for `app.inject()`; log lines are kept when asked. */
export function createInProcessApp(
  store: EventStore,
  options: { secrets: string[]; maxBodyBytes: number; logLines?: string[] },
): App {
  const lines = options.logLines;
  const destination = {
    write(line: string) {
      lines?.push(line);
      return true;
    },
  } as unknown as NodeJS.WritableStream;
  return buildApp({
    store,
    logger: createLogger(lines ? "trace" : "silent", destination),
    metrics: new ReceiverMetrics({ defaultMetrics: false }),
    receiveConfig: { secrets: options.secrets, acceptSha1: true, maxBodyBytes: options.maxBodyBytes },
    timeouts: { headersTimeoutMs: 5000, requestTimeoutMs: 10_000, keepAliveTimeoutMs: 5000 },
  });
}
