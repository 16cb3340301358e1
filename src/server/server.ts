import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "pino";
import { type AlertSinks, openAlertSinks } from "../alerts/alert-sinks.js";
import type { AlertsConfig } from "../alerts/alerts-config.js";
import { configuredAlerts } from "../alerts/configured-alerts.js";
import { createDailyDigest } from "../alerts/daily-digest.js";
import { createReceiverWatch } from "../alerts/receiver-watch.js";
import type { Config } from "../config/config.js";
import { readConfigFile } from "../config/config-file-schema.js";
import type { Env } from "../config/env.js";
import { redactUrl } from "../config/env.js";
import type { ResolvedSecrets } from "../config/secrets.js";
import type { Destination } from "../destinations/destination.js";
import { loadExportConfig } from "../export/export-config.js";
import { type RunningExporter, startExporter } from "../export/start-exporter.js";
import { createSourceRegistry } from "../sources/source-registry.js";
import { openStore } from "../stores/open-store.js";
import type { EventStore } from "../stores/store.js";
import type { App } from "./app.js";
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
  /** The dashboard password; without it (or with PORTCALL_UI=false) there is no dashboard. */
  uiPassword?: string,
): Promise<RunningServer> {
  // Sources are read before the store opens, so a mistake in PORTCALL_CONFIG fails at once.
  const receiveConfig = {
    secrets: secrets.secrets,
    acceptSha1: config.acceptSha1,
    maxBodyBytes: config.maxBodyBytes,
  };
  const sources = createSourceRegistry(readConfigFile(config).sources, {
    defaultSource: receiveConfig,
    configFile: config.configFile,
  });
  const metrics = new ReceiverMetrics({ sources: [...sources.keys()] });
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
  let app: App | undefined;
  let address: string;
  let alerts: AlertSinks | undefined;
  let reconciler: { stop(): Promise<void> } | undefined;
  let alertsConfig: AlertsConfig | undefined;
  let watch: { stop(): void } | undefined;
  try {
    // Start the store's writer (a thread for SQLite, a connection for PostgreSQL) while the
    // migrations run: it shortens the time to the first 200.
    const writable = store.ping();
    writable.catch(() => undefined);
    // Fastify and the dashboard load meanwhile (they are most of the code a start compiles),
    // on this thread while the writer thread starts on another core.
    const dashboardOn = config.ui.enabled && uiPassword !== undefined;
    const httpStack = Promise.all([
      import("./app.js"),
      dashboardOn ? import("../dashboard/dashboard-plugin.js") : undefined,
    ]);
    httpStack.catch(() => undefined);
    const migrations = await store.migrate();
    const applied = migrations.filter((m) => m.applied).map((m) => `${m.version}_${m.name}`);
    // Fail at start, not on the first delivery, when the store cannot take writes; this
    // also starts the SQLite writer thread so the first delivery does not wait for it.
    await writable;
    logger.info({ store: store.dialect, database: redactUrl(config.databaseUrl), applied }, "store ready");
    // Copies to ARCHIVE_URL / BIGQUERY_TABLE run in the background; a 200 waits only for the commit.
    // Alert destinations are sinks of the same exporter (docs/alerts.md).
    alertsConfig = configuredAlerts(config, env);
    alerts = await openAlertSinks(store, alertsConfig, metrics.registry);
    exporter = await startExporter(store, loadExportConfig(env), logger, metrics.registry, alerts?.sinks);
    reconciler = await startReconcile(store, config, env, alerts?.destinations ?? [], logger);
    if (alerts !== undefined && alertsConfig !== undefined) {
      const receiverWatch = createReceiverWatch({
        destinations: alerts.destinations,
        unauthorizedPerMinute: alertsConfig.unauthorizedPerMinute,
        silenceMs: alertsConfig.silenceMs,
        logger,
      });
      metrics.listeners.push((outcome) => receiverWatch.delivered(outcome));
      receiverWatch.start();
      const withDigest = alerts.destinations.flatMap((destination, i) => {
        const at = alertsConfig?.destinations[i]?.digest;
        return at === undefined ? [] : [{ destination, at }];
      });
      const digest =
        withDigest.length === 0
          ? undefined
          : createDailyDigest({ store, destinations: withDigest, publicUrl: alertsConfig.publicUrl, logger });
      digest?.start();
      watch = {
        stop() {
          receiverWatch.stop();
          digest?.stop();
        },
      };
    }
    metrics.watchOutbox(store.outbox());
    const [{ buildApp }] = await httpStack;
    app = buildApp({
      store,
      logger,
      metrics,
      receiveConfig,
      sources,
      timeouts: config,
      ...(dashboardOn
        ? {
            dashboard: {
              password: uiPassword,
              trustedHeader: config.ui.trustedHeader,
              sessionHours: config.ui.sessionHours,
            },
          }
        : {}),
    });
    // Listen before Fastify has loaded its plugins: deliveries take the direct node:http path,
    // which needs none of them, so Flexport's first request after a cold start is answered
    // without waiting for the dashboard; other requests wait for app.ready() (app.ts).
    // HOST=localhost keeps Fastify's listen, which binds every address the name resolves to.
    address = await (config.host === "localhost"
      ? app.listen({ host: config.host, port: config.port })
      : listenEarly(app.server, config.host, config.port)
    ).catch((error: unknown) => {
      throw listenError(error, config.host, config.port);
    });
    await app.ready();
  } catch (error) {
    // Whatever failed, nothing may keep the process alive: the exporter's timers, the
    // store's writer thread or pool, a half-started HTTP server.
    if (app?.server.listening) app.server.close();
    await app?.close().catch(() => undefined);
    await exporter?.stop().catch(() => undefined);
    await reconciler?.stop().catch(() => undefined);
    watch?.stop();
    await alerts?.close().catch(() => undefined);
    await store.close().catch(() => undefined);
    throw error;
  }

  const running = app;
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      const deadline = setTimeout(() => {
        logger.warn(
          { timeoutMs: config.shutdownTimeoutMs },
          "shutdown: in-flight requests took too long; closing",
        );
        running.server.closeAllConnections();
      }, config.shutdownTimeoutMs);
      try {
        // Fastify closes the node:http server only when its own listen() opened it: this one
        // stops accepting here and ends once the requests in flight have been answered.
        const serverClosed = new Promise<void>((resolve) => running.server.close(() => resolve()));
        running.server.closeIdleConnections();
        await running.close();
        await serverClosed;
      } finally {
        clearTimeout(deadline);
        watch?.stop();
        await reconciler?.stop();
        await exporter?.stop();
        await alerts?.close();
        await store.close();
      }
    })();
    return closing;
  };
  return { app: running, store, url: address, close };
}

/** Listens on the node:http server itself; resolves with a URL for the logs and tests. */
function listenEarly(server: Server, host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host, port }, () => {
      server.off("error", reject);
      const bound = server.address() as AddressInfo;
      // A wildcard address is reachable on the loopback one, as Fastify's listen reports it.
      const shown =
        bound.address === "0.0.0.0" || bound.address === "::"
          ? "127.0.0.1"
          : bound.family === "IPv6"
            ? `[${bound.address}]`
            : bound.address;
      resolve(`http://${shown}:${bound.port}`);
    });
  });
}

/** Why the server could not listen, in terms of the variables that choose where. */
function listenError(error: unknown, host: string, port: number): Error {
  const code = (error as { code?: unknown }).code;
  const where = `${host}:${port}`;
  const why =
    code === "EADDRINUSE"
      ? `${where} is already in use by another process; set PORT (or HOST) to a free address`
      : code === "EACCES"
        ? `not allowed to listen on ${where} (ports below 1024 need privileges); check PORT`
        : code === "EADDRNOTAVAIL" || code === "ENOTFOUND" || code === "EAI_AGAIN"
          ? `${host} is not an address of this machine; check HOST`
          : `cannot listen on ${where} (${error instanceof Error ? error.message : String(error)}); check HOST and PORT`;
  return new Error(`cannot start the HTTP server: ${why}`, { cause: error });
}

/** PORTCALL_RECONCILE_EVERY: the backfill on a schedule (its modules load only when it is set). */
async function startReconcile(
  store: EventStore,
  config: Config,
  env: Env,
  destinations: readonly Destination[],
  logger: Logger,
): Promise<{ stop(): Promise<void> } | undefined> {
  const { loadReconcileConfig } = await import("../reconcile/reconcile-config.js");
  const reconcile = loadReconcileConfig(env);
  if (reconcile.everyMs === undefined) return undefined;
  const [{ loadFlexportApiConfig }, { openFlexportEventsClient }, { createReconciler }] = await Promise.all([
    import("../backfill/backfill-config.js"),
    import("../backfill/open-flexport-client.js"),
    import("../reconcile/reconciler.js"),
  ]);
  const api = loadFlexportApiConfig(env);
  const reconciler = createReconciler({
    store,
    client: openFlexportEventsClient(api, { dataDir: config.dataDir }),
    apiUrl: api.apiUrl,
    dataDir: config.dataDir,
    everyMs: reconcile.everyMs,
    overlapMs: reconcile.overlapMs,
    destinations,
    logger,
  });
  reconciler.start();
  logger.info({ everyMs: reconcile.everyMs, overlapMs: reconcile.overlapMs }, "reconcile: scheduled");
  return reconciler;
}
