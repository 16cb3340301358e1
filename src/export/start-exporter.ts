import type { Logger } from "pino";
import type { Registry } from "prom-client";
import type { ExportSink } from "../sinks/export-sink.js";
import type { EventStore } from "../stores/store.js";
import { configuredSinks } from "./configured-sinks.js";
import type { ExportConfig } from "./export-config.js";
import { registerExportMetrics } from "./export-metrics.js";
import { createExporter, type Exporter } from "./exporter.js";

export interface RunningExporter {
  stop(): Promise<void>;
}

/**
 * Starts background export when ARCHIVE_URL or BIGQUERY_TABLE is set, or alert destinations
 * are given (`extraSinks`): registers the sinks
 * (from now on the store queues each committed event for them) and runs the exporter.
 * Returns undefined, and queues nothing, when no sink is configured. With a registry, the
 * outbox's dead letters are a metric there.
 */
export async function startExporter(
  store: EventStore,
  config: ExportConfig,
  logger: Logger,
  registry?: Registry,
  extraSinks: readonly ExportSink[] = [],
): Promise<RunningExporter | undefined> {
  const outbox = store.outbox();
  const sinks = [...(await configuredSinks(config)), ...extraSinks];
  await outbox.enableSinks(sinks.map((s) => ({ name: s.name, target: s.target, events: s.events })));
  if (sinks.length === 0) return undefined;
  const exporter: Exporter = createExporter({
    outbox,
    sinks,
    logger,
    batchSize: config.batchSize,
    pollMs: config.pollMs,
    retryBaseMs: config.retryBaseMs,
    retryMaxMs: config.retryMaxMs,
    maxAttempts: config.maxAttempts,
  });
  if (registry !== undefined) registerExportMetrics(registry, outbox);
  exporter.start();
  // The outbox belongs to the store, which closes it after the exporter has stopped.
  return { stop: () => exporter.stop() };
}
