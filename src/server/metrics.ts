import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import { DEFAULT_SOURCE } from "../core/event-recorder.js";
import type { DeliveryOutcome } from "../core/receive.js";
import { exportFailedLast, type Outbox, type SinkStatus } from "../stores/outbox.js";
import type { CommitObserver } from "../stores/store.js";

/** Prometheus metrics of one receiver; a registry per instance so tests can build many. */
export class ReceiverMetrics implements CommitObserver {
  readonly registry = new Registry();
  private readonly deliveries = new Counter({
    name: "portcall_deliveries_total",
    help: "Webhook deliveries by outcome (stored, duplicate, conflict, quarantined, unauthorized, too_large, store_unavailable) and source.",
    labelNames: ["outcome", "source"] as const,
    registers: [this.registry],
  });
  private readonly duplicates = new Counter({
    name: "portcall_duplicates_total",
    help: "Redeliveries of an event id already stored (including id conflicts), by source.",
    labelNames: ["source"] as const,
    registers: [this.registry],
  });
  private readonly rejects = new Counter({
    name: "portcall_rejects_total",
    help: "Authenticated bodies quarantined in flexport_rejects, by reason and source.",
    labelNames: ["reason", "source"] as const,
    registers: [this.registry],
  });
  private readonly deliverySeconds = new Histogram({
    name: "portcall_delivery_duration_seconds",
    help: "Time from a complete body to the answer, including the commit.",
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
    registers: [this.registry],
  });
  private readonly commitSeconds = new Histogram({
    name: "portcall_commit_duration_seconds",
    help: "Duration of one group commit (a batch of writes made durable together).",
    labelNames: ["result"] as const,
    buckets: [0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 2],
    registers: [this.registry],
  });
  private readonly batchSize = new Histogram({
    name: "portcall_commit_batch_size",
    help: "Writes per group commit.",
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512],
    registers: [this.registry],
  });

  constructor(options: { defaultMetrics?: boolean; sources?: readonly string[] } = {}) {
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry });
    this.withSources(options.sources ?? [DEFAULT_SOURCE]);
  }

  /** Told every delivery's outcome (the receiver's own alerts). */
  readonly listeners: ((outcome: DeliveryOutcome) => void)[] = [];

  /** Starts every outcome of every source at zero, so dashboards and alerts see the series from the start. */
  withSources(sources: Iterable<string>): this {
    for (const source of sources) {
      for (const outcome of OUTCOMES) this.deliveries.inc({ outcome, source }, 0);
    }
    return this;
  }

  /**
   * `source` is a configured source name, or `unknown` for a request the router could not
   * place (too large before routing): never a name taken from the URL, so the label's
   * values stay bounded by the configuration.
   */
  delivered(outcome: DeliveryOutcome, seconds: number, rejectReason?: string, source = DEFAULT_SOURCE): void {
    for (const listener of this.listeners) listener(outcome);
    this.deliveries.inc({ outcome, source });
    this.deliverySeconds.observe(seconds);
    if (outcome === "duplicate" || outcome === "conflict") this.duplicates.inc({ source });
    if (outcome === "conflict") this.rejects.inc({ reason: "id_conflict", source });
    if (outcome === "quarantined" && rejectReason !== undefined) {
      this.rejects.inc({ reason: rejectReason, source });
    }
  }

  /**
   * The export backlog as gauges, read from the outbox at each scrape: what `portcall status`
   * shows, so an alert fires on a stuck exporter without anyone running a command.
   */
  watchOutbox(outbox: Outbox): void {
    let scrape: Promise<SinkStatus[]> | undefined;
    // One outbox query per scrape, shared by the three gauges.
    const sinks = () => {
      scrape ??= outbox.status().finally(() => setTimeout(() => (scrape = undefined), 0));
      return scrape;
    };
    const gauge = (name: string, help: string, value: (s: SinkStatus, now: number) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ["sink"] as const,
        registers: [this.registry],
        async collect() {
          this.reset();
          const now = Date.now();
          for (const s of await sinks()) if (s.enabled) this.set({ sink: s.sink }, value(s, now));
        },
      });
    gauge(
      "portcall_export_backlog_events",
      "Events committed but not yet exported, per sink.",
      (s) => s.backlog,
    );
    gauge(
      "portcall_export_oldest_pending_age_seconds",
      "Age of the oldest event not yet exported, per sink (0 with no backlog).",
      (s, now) =>
        s.oldestPendingAt === null ? 0 : Math.max(0, (now - Date.parse(s.oldestPendingAt)) / 1000),
    );
    gauge(
      "portcall_export_last_failed",
      "1 while events wait and the sink's most recent export attempt failed, else 0.",
      (s) => (exportFailedLast(s) ? 1 : 0),
    );
  }

  committed(batchSize: number, seconds: number, ok: boolean): void {
    this.commitSeconds.observe({ result: ok ? "ok" : "error" }, seconds);
    this.batchSize.observe(batchSize);
  }
}

const OUTCOMES: readonly DeliveryOutcome[] = [
  "stored",
  "duplicate",
  "conflict",
  "quarantined",
  "unauthorized",
  "too_large",
  "store_unavailable",
];
