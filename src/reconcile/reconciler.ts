import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import { plainMessage } from "../alerts/alert-message.js";
import { type BackfillSummary, runBackfill } from "../backfill/backfill.js";
import type { FlexportEventsClient } from "../backfill/flexport-events-client.js";
import type { Destination } from "../destinations/destination.js";
import { errorMessage } from "../sinks/export-sink.js";
import { alertIdOf } from "../stores/alert-log.js";
import type { EventStore } from "../stores/store.js";

/** Options of the scheduled reconcile that serve runs with PORTCALL_RECONCILE_EVERY. */
export interface ReconcilerOptions {
  readonly store: EventStore;
  readonly client: FlexportEventsClient;
  readonly apiUrl: string;
  readonly dataDir: string;
  readonly everyMs: number;
  readonly overlapMs: number;
  /** Where "gap found" goes: every configured destination. */
  readonly destinations: readonly Destination[];
  readonly logger?: Pick<Logger, "info" | "warn" | "error"> | undefined;
  readonly now?: (() => Date) | undefined;
}

export interface ReconcileRun {
  /** false when another receiver holds the reconcile lease. */
  readonly ran: boolean;
  readonly summary?: BackfillSummary;
}

export const GAP_RULE = "gap-found";
const LEASE = "reconcile";
const LISTED_IDS = 50;

/**
 * Compares what Flexport says it delivered with what is stored and fills the difference
 * (source `backfill`), on one receiver of several (a lease in the database), from the last
 * checked time minus an overlap (late events carry old occurred_at times). A gap raises one
 * "gap found" alert per destination: its key is the set of missing ids, and it is opened
 * before the events are stored, so a crash in between still sends it on the next run.
 */
export function createReconciler(options: ReconcilerOptions) {
  const holder = randomUUID();
  const now = options.now ?? (() => new Date());
  const log = options.store.alertLog();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;

  async function sendPending(): Promise<void> {
    for (const pending of await log.pendingMessages(GAP_RULE)) {
      const destination = options.destinations.find((d) => d.name === pending.destination);
      if (destination === undefined) continue;
      try {
        await destination.send({ id: pending.alertId, timestamp: now(), message: pending.message });
        await log.markSent(pending.alertId);
      } catch (error) {
        await log.markFailed(pending.alertId, errorMessage(error));
        options.logger?.warn(
          { destination: destination.name, error: errorMessage(error) },
          "reconcile: gap alert not sent; will retry",
        );
      }
    }
  }

  async function runOnce(): Promise<ReconcileRun> {
    // The lease outlives one interval, so a holder that died is replaced after two.
    const lease = await log.lease(LEASE, holder, options.everyMs * 2);
    if (!lease.held) return { ran: false };
    const until = now();
    const checked = lease.state === null ? undefined : (JSON.parse(lease.state) as { until?: string }).until;
    const from = Date.parse(checked ?? until.toISOString()) - (checked === undefined ? options.everyMs : 0);
    const query = { since: new Date(from - options.overlapMs).toISOString(), until: until.toISOString() };
    const common = {
      store: options.store,
      client: options.client,
      apiUrl: options.apiUrl,
      query,
      dataDir: options.dataDir,
    };

    const found = await runBackfill({ ...common, dryRun: true });
    if (found.missing > 0) {
      const ids = found.missing_events.map((e) => e.id);
      const subject = `gap:${ids.slice().sort().join(",")}`;
      const listed =
        ids.slice(0, LISTED_IDS).join(", ") +
        (ids.length > LISTED_IDS ? `, … (${ids.length - LISTED_IDS} more)` : "");
      for (const destination of options.destinations) {
        const alertId = alertIdOf(destination.name, GAP_RULE, subject);
        const message = plainMessage(
          alertId,
          GAP_RULE,
          `Gap found: ${found.missing} event(s) Flexport delivered were missing`,
          [
            `Window checked: ${query.since} → ${query.until}`,
            `Stored now from Flexport's events API (source backfill): ${listed}`,
          ],
        );
        await log.open({ destination: destination.name, rule: GAP_RULE, subject, eventId: null, message });
      }
    }
    const summary = found.missing > 0 ? await runBackfill({ ...common, dryRun: false }) : found;
    await log.saveLeaseState(LEASE, holder, JSON.stringify({ until: query.until }));
    await sendPending();
    options.logger?.info(
      { since: query.since, until: query.until, fetched: summary.fetched, missing: summary.missing },
      "reconcile: done",
    );
    return { ran: true, summary };
  }

  return {
    runOnce,
    start() {
      const tick = () => {
        running = runOnce()
          .catch((error: unknown) =>
            options.logger?.error({ error: errorMessage(error) }, "reconcile: failed; next run as scheduled"),
          )
          .finally(() => {
            running = undefined;
          });
      };
      timer = setInterval(tick, options.everyMs);
      timer.unref();
      tick();
    },
    async stop() {
      if (timer !== undefined) clearInterval(timer);
      await running;
    },
  };
}
