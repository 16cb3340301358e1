import type { Logger } from "pino";
import type { Config } from "../config/config.js";
import type { Env } from "../config/env.js";
import { redactUrl } from "../config/env.js";
import type { ResolvedSecrets } from "../config/secrets.js";
import { loadExportConfig } from "../export/export-config.js";
import { type RunningExporter, startExporter } from "../export/start-exporter.js";
import { openStore } from "../stores/open-store.js";
import type { EventStore } from "../stores/store.js";
import { type App, buildApp } from "./app.js";
import { ReceiverMetrics } from "./metrics.js";

export interface RunningServer {
  readonly app: App;
  readonly store: EventStore;
  readonly url: string;
  /** Stops accepting, lets in-flight requests finish, commits what they wrote, closes the store. */
  close(): Promise<void>;
}

/** Opens and migrates the store, then listens. The caller decides about signals and exit. */
export async function startServer(
  config: Config,
  secrets: ResolvedSecrets,
  logger: Logger,
  env: Env,
): Promise<RunningServer> {
  const metrics = new ReceiverMetrics();
  const store = await openStore({
    databaseUrl: config.databaseUrl,
    observer: metrics,
    pgSchema: config.pgSchema,
    pgOptions: {
      poolMax: config.pgPoolMax,
      connectTimeoutMs: config.pgConnectTimeoutMs,
      statementTimeoutMs: config.pgStatementTimeoutMs,
    },
  });
  let exporter: RunningExporter | undefined;
  try {
    // Start the store's writer (a thread for SQLite, a connection for PostgreSQL) while the
    // migrations run: it shortens the time to the first 200.
    const writable = store.ping();
    writable.catch(() => undefined);
    const migrations = await store.migrate();
    const applied = migrations.filter((m) => m.applied).map((m) => `${m.version}_${m.name}`);
    // Fail at start, not on the first delivery, when the store cannot take writes; this
    // also starts the SQLite writer thread so the first delivery does not wait for it.
    await writable;
    logger.info({ store: store.dialect, database: redactUrl(config.databaseUrl), applied }, "store ready");
    // Copies to ARCHIVE_URL / BIGQUERY_TABLE run in the background; a 200 waits only for the commit.
    exporter = await startExporter(store, loadExportConfig(env), logger, metrics.registry);
  } catch (error) {
    await store.close().catch(() => undefined);
    throw error;
  }

  const app = buildApp({
    store,
    logger,
    metrics,
    receiveConfig: {
      secrets: secrets.secrets,
      acceptSha1: config.acceptSha1,
      maxBodyBytes: config.maxBodyBytes,
    },
    timeouts: config,
  });
  const address = await app.listen({ host: config.host, port: config.port });

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      const deadline = setTimeout(() => {
        logger.warn(
          { timeoutMs: config.shutdownTimeoutMs },
          "shutdown: in-flight requests took too long; closing",
        );
        app.server.closeAllConnections();
      }, config.shutdownTimeoutMs);
      try {
        await app.close();
      } finally {
        clearTimeout(deadline);
        await exporter?.stop();
        await store.close();
      }
    })();
    return closing;
  };
  return { app, store, url: address, close };
}
