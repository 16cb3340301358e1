import type { SignatureAlgorithm } from "./signature.js";

/** An authenticated, well-formed event, ready to be kept. */
export interface VerifiedEvent {
  readonly id: string;
  readonly type: string;
  readonly occurredAt: string | null;
  readonly createdAt: string | null;
  /** The exact body received, as text (bodies are strict UTF-8). */
  readonly payload: string;
  readonly payloadSha256: string;
  /** null for events that did not come through a signed webhook (backfill). */
  readonly signatureAlg: SignatureAlgorithm | null;
  readonly source: EventSource;
  /** The configured source (endpoint) it arrived through; `default` for /webhooks/flexport. */
  readonly sourceName: string;
  readonly api: ApiKind;
}

/** Which Flexport API an event belongs to: the freight (v2) events or the Logistics API. */
export type ApiKind = "freight" | "logistics";

/** The source of /webhooks/flexport, configured by FLEXPORT_WEBHOOK_SECRET. */
export const DEFAULT_SOURCE = "default";

export type EventSource = "webhook" | "backfill" | "replay";

/**
 * The event as kept once committed: what was verified, and when it was first received
 * (ISO-8601 UTC). The one shape the writer, the outbox, the sinks and the archive share.
 */
export interface KeptEvent extends VerifiedEvent {
  readonly receivedAt: string;
}

export type RejectReason = "invalid_json" | "invalid_event" | "id_conflict";

/** An authenticated body that is not a usable event; kept so nothing authenticated is lost. */
export interface QuarantinedBody {
  readonly reason: RejectReason;
  readonly detail: string;
  readonly payload: Uint8Array;
  readonly payloadSha256: string;
  readonly eventId: string | null;
  readonly signatureAlg: SignatureAlgorithm | null;
  readonly sourceName: string;
}

/**
 * `stored`: first delivery, committed. `duplicate`: known id, same bytes, counted.
 * `conflict`: known id, different bytes; the first bytes stay, the new ones are
 * quarantined as `id_conflict` in the same commit.
 */
export type RecordOutcome = "stored" | "duplicate" | "conflict";

/**
 * Where the receive decision puts what it accepted. Every promise resolves only once the
 * write is durable; a rejection means nothing can be promised and the client must retry.
 */
export interface EventRecorder {
  record(event: VerifiedEvent, receivedAt: Date): Promise<RecordOutcome>;
  quarantine(body: QuarantinedBody, receivedAt: Date): Promise<void>;
}
