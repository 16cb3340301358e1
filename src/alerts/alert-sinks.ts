import type { Registry } from "prom-client";
import { Counter } from "prom-client";
import type { Destination } from "../destinations/destination.js";
import { openDestination } from "../destinations/open-destination.js";
import type { ExportSink } from "../sinks/export-sink.js";
import type { AlertLog } from "../stores/alert-log.js";
import type { EventStore } from "../stores/store.js";
import type { AlertsConfig } from "./alerts-config.js";
import { createDestinationSink } from "./destination-sink.js";

export interface AlertSinks {
  readonly sinks: readonly ExportSink[];
  readonly destinations: readonly Destination[];
  readonly log: AlertLog;
  close(): Promise<void>;
}

/**
 * One export sink per configured destination (none when no destination is configured, so
 * the receive path queues nothing for alerts). With a registry, sends are counted there.
 */
export async function openAlertSinks(
  store: EventStore,
  config: AlertsConfig,
  registry?: Registry,
): Promise<AlertSinks | undefined> {
  if (config.destinations.length === 0) return undefined;
  const sent =
    registry === undefined
      ? undefined
      : new Counter({
          name: "portcall_alerts_sent_total",
          help: "Alerts and forwarded events accepted by a destination, by destination and rule.",
          labelNames: ["destination", "rule"] as const,
          registers: [registry],
        });
  const log = store.alertLog();
  const destinations: Destination[] = [];
  try {
    for (const spec of config.destinations) destinations.push(await openDestination(spec));
  } catch (error) {
    await Promise.all(destinations.map((d) => d.close()));
    throw error;
  }
  const sinks = destinations.map((destination, i) =>
    createDestinationSink({
      destination,
      rules: config.rules,
      log,
      publicUrl: config.publicUrl,
      maxAttempts: config.destinations[i]?.maxAttempts,
      leaseMs: config.leaseMs,
      onSent: (rule) => sent?.inc({ destination: destination.name, rule }),
    }),
  );
  return {
    sinks,
    destinations,
    log,
    async close() {
      await Promise.all(destinations.map((d) => d.close()));
    },
  };
}
