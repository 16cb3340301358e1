import { scanTopLevelMembers } from "./top-level-member.js";

/** Every stored Logistics API event id starts with this, so it can never equal a freight id. */
export const LOGISTICS_ID_PREFIX = "logistics:";

/** What portcall needs from a Flexport `Event` to key, index and store it. */
export interface EventEnvelope {
  /** Flexport's event id as its exact decimal text (or the string given), never rounded. */
  readonly id: string;
  readonly type: string;
  /** ISO-8601 UTC, or null when absent or not a date. */
  readonly occurredAt: string | null;
  readonly createdAt: string | null;
}

export type EnvelopeProblem = "invalid_json" | "invalid_event";

export type EnvelopeResult =
  | { readonly ok: true; readonly envelope: EventEnvelope; readonly text: string }
  | { readonly ok: false; readonly problem: EnvelopeProblem; readonly message: string };

export const MAX_ID_LENGTH = 256;
export const MAX_TYPE_LENGTH = 256;

/** The members portcall reads; each must appear once, or stores and views could disagree. */
const ENVELOPE_MEMBERS = ["id", "type", "occurred_at", "created_at"] as const;

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const INTEGER = /^-?(?:0|[1-9][0-9]*)$/;

/**
 * Parses an already-authenticated body. JSON must be UTF-8 (RFC 8259 §8.1); decoding is
 * strict so that the text we store is exactly the bytes we received.
 */
export function parseEnvelope(body: Uint8Array): EnvelopeResult {
  const decoded = decodeJsonObject(body, "a Flexport event");
  if (!decoded.ok) return decoded;
  const { text, value: event } = decoded;
  const scan = scanTopLevelMembers(text, ENVELOPE_MEMBERS);
  if (scan.duplicate !== undefined) {
    return invalid(
      "invalid_event",
      `field "${scan.duplicate}" appears more than once at the top level; an ambiguous event is not guessed`,
    );
  }

  const id = readId(event.id, scan.raw.id ?? "");
  if (typeof id !== "string") return id;
  if (id.startsWith(LOGISTICS_ID_PREFIX)) {
    return invalid("invalid_event", `field "id" must not start with "${LOGISTICS_ID_PREFIX}"`);
  }

  const type = event.type;
  if (type === undefined || type === null) return invalid("invalid_event", 'field "type" is required');
  if (typeof type !== "string" || type.length === 0) {
    return invalid("invalid_event", 'field "type" must be a non-empty string');
  }
  if (type.length > MAX_TYPE_LENGTH) {
    return invalid("invalid_event", `field "type" is longer than ${MAX_TYPE_LENGTH} characters`);
  }
  return {
    ok: true,
    text,
    envelope: {
      id,
      type,
      occurredAt: toIsoTimestamp(event.occurred_at),
      createdAt: toIsoTimestamp(event.created_at),
    },
  };
}

export type DecodedObject =
  | { readonly ok: true; readonly text: string; readonly value: Record<string, unknown> }
  | { readonly ok: false; readonly problem: EnvelopeProblem; readonly message: string };

/** Strict UTF-8, then JSON, then "is an object": the first steps of every API's envelope. */
export function decodeJsonObject(body: Uint8Array, what: string): DecodedObject {
  let text: string;
  try {
    text = strictUtf8.decode(body);
  } catch {
    return invalid("invalid_json", "body is not valid UTF-8");
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return invalid("invalid_json", "body is not valid JSON");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return invalid("invalid_event", `body must be a JSON object (${what})`);
  }
  return { ok: true, text, value: value as Record<string, unknown> };
}

function readId(parsed: unknown, rawId: string): string | EnvelopeResult {
  if (parsed === undefined || parsed === null) return invalid("invalid_event", 'field "id" is required');
  let id: string;
  if (typeof parsed === "string") {
    id = parsed;
  } else if (typeof parsed === "number") {
    // The parsed number may have been rounded; the source token is the truth.
    if (!INTEGER.test(rawId)) {
      return invalid("invalid_event", 'field "id" must be an integer or a string');
    }
    id = rawId;
  } else {
    return invalid("invalid_event", 'field "id" must be an integer or a string');
  }
  if (id.length === 0) return invalid("invalid_event", 'field "id" must not be empty');
  if (id.length > MAX_ID_LENGTH) {
    return invalid("invalid_event", `field "id" is longer than ${MAX_ID_LENGTH} characters`);
  }
  return id;
}

/** Already the form toISOString gives, with a day and hour the parser cannot roll over (≤ 28, ≤ 23). */
const CANONICAL_UTC = /^\d{4}-\d\d-(?:[01]\d|2[0-8])T(?:[01]\d|2[0-3]):\d\d:\d\d\.\d{3}Z$/;

/** Normalises a timestamp to ISO-8601 UTC so stores can sort and compare it as text. */
export function toIsoTimestamp(value: unknown): string | null {
  if (typeof value !== "string" || value.length === 0) return null;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) return null;
  // Flexport's timestamps are mostly in the stored form already; rebuilding the same text
  // with toISOString cost more than the parse (profiled on the receive path).
  return CANONICAL_UTC.test(value) ? value : new Date(ms).toISOString();
}

function invalid(
  problem: EnvelopeProblem,
  message: string,
): { ok: false; problem: EnvelopeProblem; message: string } {
  return { ok: false, problem, message };
}
