import { Gauge, type Registry } from "prom-client";
import type { Outbox, SinkStatus } from "../stores/outbox.js";

/**
 * Export gauges read from the outbox when Prometheus scrapes, so they are true for every
 * exporter on the database (several receivers on one PostgreSQL), not just this process.
 */
export function registerExportMetrics(registry: Registry, outbox: Pick<Outbox, "status">): void {
  const gauges: [name: string, help: string, value: (s: SinkStatus) => number][] = [
    [
      "portcall_export_dead_letters",
      "Events a sink rejected as invalid on every allowed attempt and no longer retries (portcall export retry --dead), by sink.",
      (s) => s.deadLetters,
    ],
    ["portcall_export_backlog", "Committed events not yet delivered, by sink.", (s) => s.backlog],
    [
      "portcall_export_oldest_pending_seconds",
      "Age of the oldest event not yet delivered, by sink (0 with no backlog).",
      (s) =>
        s.oldestPendingAt === null ? 0 : Math.max(0, (Date.now() - Date.parse(s.oldestPendingAt)) / 1000),
    ],
    [
      "portcall_export_pending_attempts_max",
      "Most failed attempts of any event still pending, by sink (0 while delivery is healthy).",
      (s) => s.maxAttempts,
    ],
  ];
  for (const [name, help, value] of gauges) {
    new Gauge({
      name,
      help,
      labelNames: ["sink"] as const,
      registers: [registry],
      async collect() {
        // A database hiccup keeps the last values rather than failing the whole scrape.
        const sinks = await outbox.status().catch(() => undefined);
        if (sinks === undefined) return;
        this.reset();
        for (const sink of sinks) this.set({ sink: sink.sink }, value(sink));
      },
    });
  }
}
