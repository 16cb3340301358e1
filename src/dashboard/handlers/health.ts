import { DELIVERY_OUTCOMES } from "../../server/delivery-log.js";
import { type DashboardHandler, page } from "../handler-types.js";

export const REJECTS_SHOWN = 50;
export const DEAD_LETTERS_SHOWN = 20;

/** GET /ui/health : deliveries over time, quarantined bodies, export backlog, readiness. */
export const healthHandler: DashboardHandler = async (_request, context) => {
  const { reports, store, deliveries } = context;
  const [ready, rejects, backlog, deadLetters, lastStored, pendingSummaries] = await Promise.all([
    context.storeReady(),
    store.listRejects({ limit: REJECTS_SHOWN }),
    reports.exportBacklog(),
    reports.deadLetters(DEAD_LETTERS_SHOWN),
    reports.lastReceivedAt(),
    reports.pendingSummaries(),
  ]);
  const series = deliveries.series();
  const totals = Object.fromEntries(
    DELIVERY_OUTCOMES.map((o) => [o, series.reduce((sum, b) => sum + b.counts[o], 0)]),
  );
  return page("health", "Delivery health", {
    charts: true,
    ready,
    dialect: store.dialect,
    rejects,
    backlog,
    deadLetters,
    lastStored,
    lastDelivery: deliveries.lastDelivery(),
    startedAt: deliveries.startedAt,
    bucketMinutes: deliveries.bucketMs / 60_000,
    series,
    totals,
    outcomes: DELIVERY_OUTCOMES,
    pendingSummaries,
  });
};
