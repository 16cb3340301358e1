import type { Logger } from "pino";
import type { DeliveryOutcome } from "../core/receive.js";
import type { Destination } from "../destinations/destination.js";
import { errorMessage } from "../sinks/export-sink.js";
import { plainMessage } from "./alert-message.js";

/** When the receiver alerts about itself (PORTCALL_ALERT_* variables). */
export interface ReceiverWatchOptions {
  readonly destinations: readonly Destination[];
  /** Unauthorized deliveries in one minute that raise an alert (a wrong or rotated secret); 0: never. */
  readonly unauthorizedPerMinute: number;
  /** No stored or redelivered webhook for this long raises an alert; undefined: never. */
  readonly silenceMs: number | undefined;
  readonly logger?: Pick<Logger, "warn"> | undefined;
  readonly now?: () => number;
}

export type ReceiverCondition = "unauthorized" | "store_unavailable" | "no_webhooks";

/**
 * Watches delivery outcomes and alerts every destination once per incident: a condition
 * alerts when it starts and again only after it has cleared. These go straight to the
 * destinations, not through the outbox (the store may be the thing that is down), so they
 * are at most once per incident and receiver, not exactly once.
 */
export function createReceiverWatch(options: ReceiverWatchOptions) {
  const now = options.now ?? Date.now;
  const active = new Set<ReceiverCondition>();
  let unauthorized: number[] = [];
  let lastWebhook = now();
  let timer: NodeJS.Timeout | undefined;

  const raise = (condition: ReceiverCondition, title: string, details: string[]) => {
    if (active.has(condition)) return;
    active.add(condition);
    const id = `pc_receiver_${condition}_${now()}`;
    const message = plainMessage(id, `receiver-${condition.replace(/_/g, "-")}`, title, details);
    for (const destination of options.destinations) {
      destination.send({ id, timestamp: new Date(now()), message }).catch((error: unknown) => {
        options.logger?.warn(
          { destination: destination.name, condition, error: errorMessage(error) },
          "receiver alert not sent",
        );
      });
    }
  };

  return {
    /** Feed every delivery's outcome (the HTTP adapter calls this). */
    delivered(outcome: DeliveryOutcome): void {
      const t = now();
      if (outcome === "stored" || outcome === "duplicate" || outcome === "conflict") {
        lastWebhook = t;
        active.delete("no_webhooks");
        active.delete("store_unavailable");
      }
      if (outcome === "store_unavailable") {
        raise("store_unavailable", "portcall cannot store deliveries", [
          "Deliveries are answered 503 (Flexport will retry); see /readyz and the receiver's log.",
        ]);
      }
      if (outcome === "unauthorized" && options.unauthorizedPerMinute > 0) {
        unauthorized = unauthorized.filter((at) => at > t - 60_000);
        unauthorized.push(t);
        if (unauthorized.length >= options.unauthorizedPerMinute) {
          raise("unauthorized", "Webhook deliveries are being rejected as unauthorized", [
            `${unauthorized.length} deliveries in the last minute had a missing or wrong signature.`,
            "Has the secret been rotated in Flexport? Set both (new,old) in FLEXPORT_WEBHOOK_SECRET.",
          ]);
        }
      } else {
        unauthorized = unauthorized.filter((at) => at > t - 60_000);
        if (unauthorized.length < options.unauthorizedPerMinute) active.delete("unauthorized");
      }
    },
    start(): void {
      if (options.silenceMs === undefined) return;
      const silenceMs = options.silenceMs;
      timer = setInterval(
        () => {
          const quiet = now() - lastWebhook;
          if (quiet >= silenceMs) {
            raise("no_webhooks", "No webhook from Flexport for a while", [
              `Nothing was delivered for ${Math.round(quiet / 60_000)} min (PORTCALL_ALERT_NO_WEBHOOK_AFTER).`,
            ]);
          }
        },
        Math.min(silenceMs, 60_000),
      );
      timer.unref();
    },
    stop(): void {
      if (timer !== undefined) clearInterval(timer);
    },
  };
}
