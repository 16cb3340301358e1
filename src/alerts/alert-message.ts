import { DEFAULT_SOURCE } from "../core/event-recorder.js";
import type { EventFacts } from "./event-facts.js";
import type { AlertDecision } from "./rule-engine.js";

/** An alert for people, independent of where it goes; each destination renders it. */
export interface AlertMessage {
  /** Idempotency key: the same (rule, subject) always has the same id. */
  readonly id: string;
  readonly rule: string;
  readonly title: string;
  readonly shipmentId: string | null;
  readonly shipmentName: string | null;
  readonly eventId: string | null;
  readonly eventType: string | null;
  readonly milestone: string | null;
  readonly where: string | null;
  readonly when: string | null;
  readonly details: readonly string[];
  /** The configured source the event came through, when it is not `default`. */
  readonly source?: string | undefined;
  /** The dashboard page of the shipment, when PORTCALL_PUBLIC_URL is set. */
  readonly link: string | null;
}

const TITLES: Record<string, string> = {
  customs_hold: "Customs hold",
  exception: "Exception",
  eta_slip: "ETA slipped",
  free_time: "Container free time",
};

/** The message an alert decision about one event becomes. */
export function alertMessage(
  id: string,
  decision: AlertDecision,
  facts: EventFacts,
  publicUrl: string | undefined,
): AlertMessage {
  const kind = decision.condition === null ? decision.rule : (TITLES[decision.condition] ?? decision.rule);
  return {
    id,
    rule: decision.rule,
    title: facts.label.toLowerCase().startsWith(kind.toLowerCase()) ? facts.label : `${kind}: ${facts.label}`,
    shipmentId: facts.shipmentId,
    shipmentName: facts.shipmentName,
    eventId: facts.id,
    eventType: facts.type,
    milestone: facts.label,
    where:
      facts.locationName === null
        ? null
        : `${facts.locationName}${facts.locationCode ? ` (${facts.locationCode})` : ""}`,
    when: facts.at,
    details: decision.details,
    source: facts.sourceName === DEFAULT_SOURCE ? undefined : facts.sourceName,
    link: shipmentLink(publicUrl, facts.shipmentId),
  };
}

export function shipmentLink(publicUrl: string | undefined, shipmentId: string | null): string | null {
  if (publicUrl === undefined || shipmentId === null) return null;
  return `${publicUrl.replace(/\/+$/, "")}/ui/shipments/${encodeURIComponent(shipmentId)}`;
}

/** A message that is not about one event (tests, gaps, the receiver's own health, digests). */
export function plainMessage(
  id: string,
  rule: string,
  title: string,
  details: readonly string[],
  link: string | null = null,
): AlertMessage {
  return {
    id,
    rule,
    title,
    shipmentId: null,
    shipmentName: null,
    eventId: null,
    eventType: null,
    milestone: null,
    where: null,
    when: null,
    details,
    link,
  };
}

/** `Name (#id)`, `#id` or null. */
export function shipmentLabel(message: AlertMessage): string | null {
  if (message.shipmentId === null) return message.shipmentName;
  return message.shipmentName === null
    ? `#${message.shipmentId}`
    : `${message.shipmentName} (#${message.shipmentId})`;
}

/** Plain text lines, for email bodies and Slack's fallback `text`. */
export function messageLines(message: AlertMessage): string[] {
  const lines = [message.title];
  const shipment = shipmentLabel(message);
  if (shipment !== null) lines.push(`Shipment: ${shipment}`);
  if (message.milestone !== null) lines.push(`Milestone: ${message.milestone}`);
  if (message.where !== null) lines.push(`Where: ${message.where}`);
  if (message.when !== null) lines.push(`When: ${message.when}`);
  if (message.source !== undefined) lines.push(`Source: ${message.source}`);
  lines.push(...message.details);
  if (message.link !== null) lines.push(`Open: ${message.link}`);
  return lines;
}
