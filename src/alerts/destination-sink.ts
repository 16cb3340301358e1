import { type Destination, DestinationError } from "../destinations/destination.js";
import { type ExportEvent, type ExportResult, type ExportSink, errorMessage } from "../sinks/export-sink.js";
import { type AlertLog, alertIdOf, destinationSinkName, type EtaObservation } from "../stores/alert-log.js";
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
 * A destination as an export sink: the outbox queues every committed event for it, and
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

  async function handle(event: ExportEvent, batch: EtaObservation[]): Promise<void> {
    if (!recordsEtas && !anyRuleCouldMatch(rules, event)) return;
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
    const decisions = evaluateRules(rules, facts, { previousEstimatedArrival });
    for (const decision of decisions) {
      const alertId = alertIdOf(destination.name, decision.rule, decision.subject);
      const message = alertMessage(alertId, decision, facts, options.publicUrl);
      const { status } = await log.open({
        destination: destination.name,
        rule: decision.rule,
        subject: decision.subject,
        eventId: event.id,
        message,
      });
      if (status === "sent") continue;
      try {
        await destination.send({
          id: alertId,
          timestamp: new Date(),
          message,
          event:
            decision.send === "event"
              ? { id: event.id, type: event.type, payload: event.payload }
              : undefined,
        });
      } catch (error) {
        await log.markFailed(alertId, errorMessage(error)).catch(() => undefined);
        throw error;
      }
      await log.markSent(alertId);
      options.onSent?.(decision.rule);
    }
  }

  return {
    name: destinationSinkName(destination.name),
    target: destination.target,
    ordered: true,
    leaseMs,
    ...(options.maxAttempts !== undefined ? { maxAttempts: options.maxAttempts } : {}),
    async deliver(events) {
      const results: ExportResult[] = [];
      const stopAt = Date.now() + leaseMs / 2;
      const observed: EtaObservation[] = [];
      let blockedBy: string | undefined;
      for (const event of events) {
        if (blockedBy === undefined && Date.now() > stopAt) blockedBy = "(the batch ran out of its lease)";
        if (blockedBy !== undefined) {
          // Later events wait for the earlier one, so the destination sees them in order.
          results.push({ ok: false, error: `waiting for event ${blockedBy}`, deferred: true });
          continue;
        }
        try {
          await handle(event, observed);
          results.push({ ok: true });
        } catch (error) {
          blockedBy = event.id;
          // A refusal (a 4xx, a permanent SMTP error) counts towards the dead letter; an
          // outage (no answer, 5xx, 429) is retried for as long as it lasts, in order.
          results.push({ ok: false, error: errorMessage(error), invalid: isRefusal(error) });
        }
      }
      // One write for the batch's estimates; a redelivered batch records the same ones.
      await log.recordEtas(observed);
      return results;
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
  return code >= 400 && code < 500 && code !== 408 && code !== 429;
}
