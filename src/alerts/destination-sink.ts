import { type Destination, DestinationError, type Outgoing } from "../destinations/destination.js";
import { type ExportEvent, type ExportResult, type ExportSink, errorMessage } from "../sinks/export-sink.js";
import {
  type AlertLog,
  alertIdOf,
  destinationSinkName,
  type EtaObservation,
  type NewAlert,
} from "../stores/alert-log.js";
import type { EventFilter } from "../stores/outbox.js";
import { alertMessage } from "./alert-message.js";
import { type EventFacts, eventFacts } from "./event-facts.js";
import { anyRuleCouldMatch, evaluateRules, type Rule } from "./rule-engine.js";

/** Options of the export sink that turns committed events into one destination's alerts. */
export interface DestinationSinkOptions {
  readonly destination: Destination;
  /** Every configured rule; the sink keeps those that name this destination. */
  readonly rules: readonly Rule[];
  readonly log: AlertLog;
  readonly publicUrl?: string | undefined;
  /** Failed sends of one event's alerts before it becomes a dead letter. */
  readonly maxAttempts?: number | undefined;
  /**
   * How long a claimed batch is reserved (PORTCALL_ALERT_LEASE_MS, default 30 s). After a
   * crash, the dead receiver's batch waits this long before another claim, and in order; a
   * batch stops taking new events at half of it so a slow destination cannot outlive it.
   */
  readonly leaseMs?: number | undefined;
  /** Called after each accepted send (metrics). */
  readonly onSent?: ((rule: string) => void) | undefined;
}

/**
 * A destination as an export sink: the outbox queues the committed events it wants (eventsFor), and
 * for each one, in commit order, it evaluates the rules, opens each alert once in the
 * alert log (the (destination, rule, subject) key), sends those not sent yet and records
 * them sent. The outbox row goes only when all of an event's alerts are sent, so a crash
 * anywhere in between sends them on the next claim; one already recorded sent is skipped.
 */
export function createDestinationSink(options: DestinationSinkOptions): ExportSink {
  const { destination, log } = options;
  const rules = options.rules.filter((r) => r.to.includes(destination.name));
  const leaseMs = options.leaseMs ?? 30_000;

  // ETA observations feed this destination's ETA-slip rules only; without one, an event no
  // rule can match by its type, source or history is not parsed at all.
  const recordsEtas = rules.some((r) => r.when.condition === "eta_slip");

  /** The alerts an event raises, in rule order (reads only; the log is not written). */
  async function alertsFor(event: ExportEvent, batch: EtaObservation[]): Promise<PlannedAlert[]> {
    if (!recordsEtas && !anyRuleCouldMatch(rules, event)) return [];
    const facts = eventFacts(event);
    const previousEstimatedArrival = await previousEstimate(rules, facts, log, batch);
    if (facts.shipmentId !== null && facts.at !== null && facts.estimatedArrival !== null) {
      batch.push({
        eventId: facts.id,
        shipmentId: facts.shipmentId,
        eventAt: facts.at,
        eta: facts.estimatedArrival,
      });
    }
    return evaluateRules(rules, facts, { previousEstimatedArrival }).map((decision) => {
      const alertId = alertIdOf(destination.name, decision.rule, decision.subject);
      return {
        alertId,
        alert: {
          destination: destination.name,
          rule: decision.rule,
          subject: decision.subject,
          eventId: event.id,
          message: alertMessage(alertId, decision, facts, options.publicUrl),
        },
        event:
          decision.send === "event" ? { id: event.id, type: event.type, payload: event.payload } : undefined,
      };
    });
  }

  return {
    name: destinationSinkName(destination.name),
    target: destination.target,
    ordered: true,
    leaseMs,
    events: eventsFor(rules),
    ...(options.maxAttempts !== undefined ? { maxAttempts: options.maxAttempts } : {}),
    async deliver(events) {
      const results: ExportResult[] = [];
      const stopAt = Date.now() + leaseMs / 2;
      const observed: EtaObservation[] = [];
      // The batch's alerts are decided first and opened in one transaction, and those sent
      // are recorded a few at a time (sentLog), rather than two transactions per alert: on
      // SQLite each one would take the database's write lock from the webhook path's commits.
      const planned: PlannedAlert[][] = [];
      let planFailure: string | undefined;
      for (const event of events) {
        if (Date.now() > stopAt) break;
        try {
          planned.push(await alertsFor(event, observed));
        } catch (error) {
          planFailure = errorMessage(error);
          break;
        }
      }
      const statuses = await log.openAll(planned.flat().map((p) => p.alert));
      const sent = createSentLog(log);
      // An alert a batch raises twice (two events of one shipment) is sent once.
      const handled = new Set<string>();
      let next = 0;
      let blockedBy: string | undefined;
      for (const [index, event] of events.entries()) {
        const alerts = planned[index];
        if (blockedBy === undefined && index === planned.length && planFailure !== undefined) {
          blockedBy = event.id;
          results.push({ ok: false, error: planFailure });
          continue;
        }
        if (blockedBy === undefined && (alerts === undefined || Date.now() > stopAt))
          blockedBy = "(the batch ran out of its lease)";
        if (blockedBy !== undefined || alerts === undefined) {
          // Later events wait for the earlier one, so the destination sees them in order.
          results.push({ ok: false, error: `waiting for event ${blockedBy}`, deferred: true });
          continue;
        }
        const first = next;
        next += alerts.length;
        try {
          for (const [i, item] of alerts.entries()) {
            if (statuses[first + i] === "sent" || handled.has(item.alertId)) continue;
            handled.add(item.alertId);
            await sent.flushIfDue();
            try {
              await destination.send({
                id: item.alertId,
                timestamp: new Date(),
                message: item.alert.message,
                event: item.event,
              });
            } catch (error) {
              await log.markFailed(item.alertId, errorMessage(error)).catch(() => undefined);
              throw error;
            }
            sent.add(item.alertId);
            options.onSent?.(item.alert.rule);
          }
          results.push({ ok: true });
        } catch (error) {
          blockedBy = event.id;
          // A refusal (a 4xx, a permanent SMTP error) counts towards the dead letter; an
          // outage (no answer, 5xx, 429) is retried for as long as it lasts, in order.
          results.push({ ok: false, error: errorMessage(error), invalid: isRefusal(error) });
        }
      }
      await sent.flush();
      // One write for the batch's estimates; a redelivered batch records the same ones.
      await log.recordEtas(observed);
      return results;
    },
  };
}

/**
 * The events worth queueing for a destination with these rules: with an ETA-slip rule every
 * event (each may state an estimate the next one is compared with); otherwise the types its
 * rules name (every type if one names none) and, unless one asks for history, only events
 * that arrived by webhook. A destination no rule names gets nothing.
 */
export function eventsFor(rules: readonly Rule[]): EventFilter | undefined {
  if (rules.some((r) => r.when.condition === "eta_slip")) return undefined;
  const webhookOnly = rules.every((r) => r.when.history !== true);
  const types = rules.every((r) => r.when.types !== undefined)
    ? [...new Set(rules.flatMap((r) => r.when.types ?? []))].sort()
    : undefined;
  return { ...(types !== undefined ? { types } : {}), webhookOnly };
}

/** An alert decided for one event of a batch, not yet opened in the log. */
interface PlannedAlert {
  readonly alertId: string;
  readonly alert: NewAlert;
  readonly event: Outgoing["event"];
}

/**
 * Sent alerts are recorded together: before the next send once SENT_FLUSH_MS have passed
 * since the last record, and at the end of the batch. After a crash, what was sent since
 * the last record is sent again with the same id, which a receiver that keys on it drops.
 */
const SENT_FLUSH_MS = 20;

function createSentLog(log: Pick<AlertLog, "markSentAll">) {
  let ids: string[] = [];
  let since = Date.now();
  const flush = async () => {
    if (ids.length === 0) return;
    const batch = ids;
    ids = [];
    try {
      await log.markSentAll(batch);
    } catch (error) {
      // Kept for the next attempt: the batch's last flush, and the whole batch again if
      // that fails too (its events then count as not delivered).
      ids = batch.concat(ids);
      throw error;
    }
    since = Date.now();
  };
  return {
    flush,
    /** Records what is waiting if it has waited long enough; a failure waits for the next try. */
    async flushIfDue(): Promise<void> {
      if (Date.now() - since >= SENT_FLUSH_MS) await flush().catch(() => undefined);
    },
    add(alertId: string): void {
      if (ids.length === 0) since = Date.now();
      ids.push(alertId);
    },
  };
}

/**
 * The shipment's previous estimate for an event: the latest earlier one in the log or in
 * the batch in hand (whose estimates are recorded together at its end). Read only when an
 * ETA rule could use it.
 */
export async function previousEstimate(
  rules: readonly Rule[],
  facts: EventFacts,
  log: Pick<AlertLog, "previousEta">,
  batch: readonly EtaObservation[] = [],
): Promise<string | null> {
  if (facts.shipmentId === null || facts.at === null || facts.estimatedArrival === null) return null;
  if (!rules.some((r) => r.when.condition === "eta_slip")) return null;
  const at = Date.parse(facts.at);
  let best = await log.previousEta(facts.shipmentId, facts.at, facts.id);
  for (const o of batch) {
    if (o.shipmentId !== facts.shipmentId || o.eventId === facts.id || !(Date.parse(o.eventAt) < at))
      continue;
    if (best === null || Date.parse(o.eventAt) >= Date.parse(best.eventAt)) best = o;
  }
  return best?.eta ?? null;
}

/** The destination refused this message itself, as opposed to being unreachable or overloaded. */
function isRefusal(error: unknown): boolean {
  if (!(error instanceof DestinationError) || error.code === undefined) return false;
  const code = error.code;
  if (error.smtp) return code >= 500 && code < 600; // 5yz: permanent; 4yz: try again later
  // 3xx: redirects are not followed (http-post.ts), so retrying the same URL cannot help.
  return code >= 300 && code < 500 && code !== 408 && code !== 429;
}
