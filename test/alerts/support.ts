import { Webhook } from "standardwebhooks";
import { type AlertSinks, openAlertSinks } from "../../src/alerts/alert-sinks.js";
import { type AlertsConfig, builtinRules, type ResolvedDestination } from "../../src/alerts/alerts-config.js";
import type { Rule } from "../../src/alerts/rule-engine.js";
import type { VerifiedEvent } from "../../src/core/event-recorder.js";
import { verifiedEvent } from "../../src/core/verified-event.js";
import { createExporter, type Exporter } from "../../src/export/exporter.js";
import type { Outbox } from "../../src/stores/outbox.js";
import type { EventStore } from "../../src/stores/store.js";
import type { RecordedRequest } from "../helpers/recording-receiver.js";

export const HOOK_SECRET = `whsec_${Buffer.alloc(32, 7).toString("base64")}`;
export const FAST = { pollMs: 10, retryBaseMs: 5, retryMaxMs: 50 };

export function webhookTo(name: string, url: string, maxAttempts = 12): ResolvedDestination {
  return { name, type: "webhook", url, secret: HOOK_SECRET, maxAttempts };
}

export interface AlertingRig {
  readonly outbox: Outbox;
  readonly alerts: AlertSinks;
  readonly exporter: Exporter;
  /** Claims and delivers until nothing is left, or fails after `timeoutMs`. */
  drain(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** The destinations as export sinks of a real exporter on `store`, as serve builds them. */
export async function alertingRig(
  store: EventStore,
  destinations: ResolvedDestination[],
  rules: Rule[] = builtinRules(destinations.map((d) => d.name)),
): Promise<AlertingRig> {
  const config: AlertsConfig = {
    destinations,
    rules,
    publicUrl: "https://portcall.example.test",
    leaseMs: 5000,
    unauthorizedPerMinute: 0,
    silenceMs: undefined,
  };
  const alerts = await openAlertSinks(store, config);
  if (alerts === undefined) throw new Error("no destinations");
  const outbox = store.outbox();
  await outbox.enableSinks(alerts.sinks.map((s) => ({ name: s.name, target: s.target, events: s.events })));
  const exporter = createExporter({ outbox, sinks: alerts.sinks, ...FAST, batchSize: 50 });
  return {
    outbox,
    alerts,
    exporter,
    async drain(timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        await exporter.runOnce();
        const status = await outbox.status();
        if (status.every((s) => s.backlog === 0)) return;
        if (Date.now() > deadline) throw new Error(`not drained: ${JSON.stringify(status)}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    async close() {
      await exporter.stop();
      await alerts.close();
    },
  };
}

/** What a Standard Webhooks receiver keeps: verified, one per webhook-id. */
export function verifiedById(
  requests: readonly RecordedRequest[],
): Map<string, { count: number; body: string }> {
  const verifier = new Webhook(HOOK_SECRET);
  const byId = new Map<string, { count: number; body: string }>();
  for (const r of requests) {
    verifier.verify(r.body, r.headers as Record<string, string>);
    const id = String(r.headers["webhook-id"]);
    const seen = byId.get(id);
    byId.set(id, { count: (seen?.count ?? 0) + 1, body: r.body });
  }
  return byId;
}

/** An event as replay or backfill would store it, built by the one builder every entry uses. */
export function historical(body: string, source: "replay" | "backfill"): VerifiedEvent {
  const built = verifiedEvent(Buffer.from(body), null, source);
  if (!built.ok) throw new Error("not an event");
  return built.event;
}
