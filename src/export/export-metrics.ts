import { Gauge, type Registry } from "prom-client";
import type { Outbox } from "../stores/outbox.js";

/**
 * Export gauges read from the outbox when Prometheus scrapes, so they are true for every
 * exporter on the database (several receivers on one PostgreSQL), not just this process.
 */
export function registerExportMetrics(registry: Registry, outbox: Pick<Outbox, "status">): void {
  new Gauge({
    name: "portcall_export_dead_letters",
    help: "Events a sink rejected as invalid on every allowed attempt and no longer retries (portcall export retry --dead), by sink.",
    labelNames: ["sink"] as const,
    registers: [registry],
    async collect() {
      // A database hiccup keeps the last values rather than failing the whole scrape.
      const sinks = await outbox.status().catch(() => undefined);
      if (sinks === undefined) return;
      this.reset();
      for (const sink of sinks) this.set({ sink: sink.sink }, sink.deadLetters);
    },
  });
}
