import {
  decodeJsonObject,
  type EnvelopeResult,
  LOGISTICS_ID_PREFIX,
  MAX_ID_LENGTH,
  MAX_TYPE_LENGTH,
  toIsoTimestamp,
} from "./envelope.js";

/**
 * The key of a Logistics API body that carries no `logisticsEventId` (the early
 * `Return.Updated` schema): the SHA-256 of its exact bytes. A redelivery sends the same
 * bytes and so is a duplicate; two different updates of one return differ and are both kept.
 */
export function logisticsBodyKey(payloadSha256: string): string {
  return `${LOGISTICS_ID_PREFIX}sha256:${payloadSha256}`;
}

export interface LogisticsEnvelopeOptions {
  /** The type to record when the body names none (a subscription is for one type). */
  readonly defaultType?: string | undefined;
}

/**
 * Parses an authenticated Logistics API webhook body. The `logistics*` members give the id,
 * type and time when present; otherwise the id is the body's hash (see logisticsBodyKey),
 * the type comes from the source's `event_type`, or is recognised for `Return.Updated`.
 */
export function parseLogisticsEnvelope(
  body: Uint8Array,
  payloadSha256: string,
  options: LogisticsEnvelopeOptions = {},
): EnvelopeResult {
  const decoded = decodeJsonObject(body, "a Logistics API event");
  if (!decoded.ok) return decoded;
  const { text, value } = decoded;

  const eventId = value.logisticsEventId;
  let id: string;
  if (eventId === undefined || eventId === null) {
    id = logisticsBodyKey(payloadSha256);
  } else if (typeof eventId === "string" && eventId.length > 0) {
    if (eventId.length > MAX_ID_LENGTH) {
      return invalid(`field "logisticsEventId" is longer than ${MAX_ID_LENGTH} characters`);
    }
    id = `${LOGISTICS_ID_PREFIX}${eventId}`;
  } else {
    return invalid('field "logisticsEventId" must be a non-empty string');
  }

  const named = value.logisticsEventType;
  let type: string | undefined;
  if (named === undefined || named === null) {
    type = options.defaultType ?? (looksLikeReturnUpdate(value) ? "Return.Updated" : undefined);
    if (type === undefined) {
      return invalid('field "logisticsEventType" is required (or set event_type on the source)');
    }
  } else if (typeof named === "string" && named.length > 0) {
    type = named;
  } else {
    return invalid('field "logisticsEventType" must be a non-empty string');
  }
  if (type.length > MAX_TYPE_LENGTH) {
    return invalid(`field "logisticsEventType" is longer than ${MAX_TYPE_LENGTH} characters`);
  }
  return {
    ok: true,
    text,
    envelope: { id, type, occurredAt: toIsoTimestamp(value.logisticsEventTime), createdAt: null },
  };
}

/** The `Return.Updated` schema of 2023-04…2024-07 leads with a numeric return id and its items. */
function looksLikeReturnUpdate(value: Record<string, unknown>): boolean {
  return typeof value.id === "number" && typeof value.status === "string" && Array.isArray(value.returnItems);
}

function invalid(message: string): EnvelopeResult {
  return { ok: false, problem: "invalid_event", message };
}
