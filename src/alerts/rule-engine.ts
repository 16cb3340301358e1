import type { EventFacts } from "./event-facts.js";

export const CONDITIONS = ["customs_hold", "exception", "eta_slip", "free_time"] as const;
export type Condition = (typeof CONDITIONS)[number];

/** A rule after validation (see alerts-config.ts for the file format). */
export interface Rule {
  readonly name: string;
  /** alert: a message for people; event: the raw event, forwarded as received. */
  readonly send: "alert" | "event";
  readonly to: readonly string[];
  readonly when: RuleMatch;
}

export interface RuleMatch {
  /** Configured source names (`default` for /webhooks/flexport) whose events match. */
  readonly sources?: readonly string[] | undefined;
  /** Exact types, or a prefix ending in `*` (`/shipment#customs_*`). */
  readonly types?: readonly string[] | undefined;
  readonly categories?: readonly string[] | undefined;
  /** Shipment fields (`id`, `name`, `transportation_mode`, or any key of `data.shipment`) and the values accepted. */
  readonly shipment?: Readonly<Record<string, readonly string[]>> | undefined;
  readonly condition?: Condition | undefined;
  /** eta_slip: how much later than the previous estimate, in hours (default 24). */
  readonly etaSlipHours?: number | undefined;
  /** free_time: warn when the last free day is this close, in hours (default 72). */
  readonly freeTimeHours?: number | undefined;
  /** Also alert on events that arrived by backfill or replay (default false: history stays quiet). */
  readonly history?: boolean | undefined;
}

/** What the engine knows beyond the event itself. */
export interface RuleContext {
  /** The shipment's estimated arrival in the latest earlier event that stated one. */
  readonly previousEstimatedArrival: string | null;
}

/** One alert to send: unique per (rule, subject) and destination. */
export interface AlertDecision {
  readonly rule: string;
  /** What the alert is about: the event id, or `container:<number>:<last free day>` for free time. */
  readonly subject: string;
  readonly send: "alert" | "event";
  readonly to: readonly string[];
  readonly condition: Condition | null;
  /** Lines that say why, for the message. */
  readonly details: readonly string[];
}

export const DEFAULT_ETA_SLIP_HOURS = 24;
export const DEFAULT_FREE_TIME_HOURS = 72;
const HOUR_MS = 3_600_000;
export const FREE_TIME_TYPES: ReadonlySet<string> = new Set([
  "/ocean/shipment_container#free_time_to_expire",
  "/ocean/shipment_container#free_time_expired",
]);

/**
 * The rules an event triggers. Pure: the event's facts and what is known of its shipment's
 * history in, decisions out; storing them (once per key) and sending is the caller's job.
 */
export function evaluateRules(
  rules: readonly Rule[],
  facts: EventFacts,
  context: RuleContext,
): AlertDecision[] {
  const decisions: AlertDecision[] = [];
  for (const rule of rules) {
    const when = rule.when;
    if (facts.source !== "webhook" && when.history !== true) continue;
    if (!matchesFields(when, facts)) continue;
    const subjects =
      when.condition === undefined ? [{ subject: facts.id, details: [] }] : condition(when, facts, context);
    for (const { subject, details } of subjects) {
      decisions.push({
        rule: rule.name,
        subject,
        send: rule.send,
        to: rule.to,
        condition: when.condition ?? null,
        details,
      });
    }
  }
  return decisions;
}

/**
 * False when no rule can match an event whatever its payload says: each is held back by the
 * event's type, source or history (what is known without parsing the payload). A sink
 * skips parsing such events; the full match is still evaluateRules'.
 */
export function anyRuleCouldMatch(
  rules: readonly Rule[],
  event: { readonly type: string; readonly source: string; readonly sourceName: string },
): boolean {
  return rules.some(({ when }) => {
    if (event.source !== "webhook" && when.history !== true) return false;
    if (when.sources !== undefined && !when.sources.includes(event.sourceName)) return false;
    return when.types === undefined || when.types.some((t) => typeMatches(t, event.type));
  });
}

function matchesFields(when: RuleMatch, facts: EventFacts): boolean {
  if (when.sources !== undefined && !when.sources.includes(facts.sourceName)) return false;
  if (when.types !== undefined && !when.types.some((t) => typeMatches(t, facts.type))) return false;
  if (when.categories !== undefined && !when.categories.includes(facts.category)) return false;
  if (when.shipment !== undefined) {
    for (const [field, accepted] of Object.entries(when.shipment)) {
      const value = shipmentField(facts, field);
      if (value === null || !accepted.includes(value)) return false;
    }
  }
  return true;
}

function typeMatches(pattern: string, type: string): boolean {
  return pattern.endsWith("*") ? type.startsWith(pattern.slice(0, -1)) : pattern === type;
}

function shipmentField(facts: EventFacts, field: string): string | null {
  if (field === "id") return facts.shipmentId;
  if (field === "name") return facts.shipmentName;
  if (field === "transportation_mode") return facts.transportationMode;
  const data = (facts.document as { data?: { shipment?: unknown; resource?: unknown } } | undefined)?.data;
  const shipment = (data?.shipment ?? data?.resource) as Record<string, unknown> | null | undefined;
  const value = shipment?.[field];
  return typeof value === "string" || typeof value === "number" || typeof value === "boolean"
    ? String(value)
    : null;
}

type Hit = { subject: string; details: string[] };

function condition(when: RuleMatch, facts: EventFacts, context: RuleContext): Hit[] {
  switch (when.condition) {
    case "customs_hold":
      return facts.effect === "customs_hold" ? [{ subject: facts.id, details: [] }] : [];
    case "exception":
      // Free time has its own rule, with one alert per container rather than per event.
      return facts.category === "exception" && !FREE_TIME_TYPES.has(facts.type)
        ? [{ subject: facts.id, details: [] }]
        : [];
    case "eta_slip":
      return etaSlip(when.etaSlipHours ?? DEFAULT_ETA_SLIP_HOURS, facts, context);
    case "free_time":
      return freeTime(when.freeTimeHours ?? DEFAULT_FREE_TIME_HOURS, facts);
    default:
      return [];
  }
}

function etaSlip(thresholdHours: number, facts: EventFacts, context: RuleContext): Hit[] {
  const now = parseTime(facts.estimatedArrival);
  const before = parseTime(context.previousEstimatedArrival);
  if (now === undefined || before === undefined) return [];
  const slipHours = (now - before) / HOUR_MS;
  if (slipHours <= thresholdHours) return [];
  return [
    {
      subject: facts.id,
      details: [
        `Estimated arrival moved ${formatHours(slipHours)} later: ${context.previousEstimatedArrival} → ${facts.estimatedArrival}`,
      ],
    },
  ];
}

/**
 * One alert per container and last free day: an explicit free-time milestone, or any event
 * showing a container not yet delivered nor returned whose last free day is within the window
 * (or already past) of the event's time.
 */
function freeTime(windowHours: number, facts: EventFacts): Hit[] {
  const explicit = FREE_TIME_TYPES.has(facts.type);
  const at = parseTime(facts.at);
  const hits: Hit[] = [];
  for (const container of facts.containers) {
    const lastFreeDay = parseTime(container.lastFreeDay);
    if (lastFreeDay === undefined) continue;
    if (!explicit) {
      if (container.deliveredAt !== null || container.emptyReturnedAt !== null || at === undefined) continue;
      if (lastFreeDay - at > windowHours * HOUR_MS) continue;
    }
    const left = at === undefined ? undefined : (lastFreeDay - at) / HOUR_MS;
    hits.push({
      subject: `container:${container.number}:${container.lastFreeDay}`,
      details: [
        left !== undefined && left < 0
          ? `Container ${container.number}: free time expired ${container.lastFreeDay} (${formatHours(-left)} ago)`
          : `Container ${container.number}: last free day ${container.lastFreeDay}${left === undefined ? "" : ` (in ${formatHours(left)})`}`,
      ],
    });
  }
  if (explicit && hits.length === 0) hits.push({ subject: facts.id, details: [] });
  return hits;
}

function parseTime(value: string | null): number | undefined {
  if (value === null) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

function formatHours(hours: number): string {
  return hours >= 48 ? `${Math.round(hours / 24)} days` : `${Math.round(hours)} h`;
}
