import type { RejectReason } from "../core/event-recorder.js";
import type { PutResult } from "./archive.js";

/**
 * An authenticated body that is not a usable event (or an id conflict's second bytes), kept
 * in the archive beside the events at `rejects/dt=<YYYY-MM-DD of received_at>/<sha256>.json`
 * so function mode, which has no database, loses nothing a human must look at. The
 * `rejects/` folder is outside the events' `dt=` partitions: event listing and replay never
 * see it.
 */
export interface ArchivedReject {
  readonly reason: RejectReason;
  readonly detail: string;
  /** ISO-8601 UTC; decides the dt= partition. */
  readonly receivedAt: string;
  readonly payload: Uint8Array;
  readonly payloadSha256: string;
  readonly eventId: string | null;
  readonly signatureAlg: string | null;
}

export type RejectMetadata = Omit<ArchivedReject, "payload">;

export interface RejectEntry {
  /** Relative to the archive root, e.g. `rejects/dt=2024-03-04/<sha256>.json`. */
  readonly key: string;
  readonly date: string;
  /** Set when listing returned it (Cloud Storage); read() always gives it. */
  readonly metadata?: RejectMetadata | null;
}

export interface RejectArchive {
  /** Create-only: the same body rejected again (a redelivery) resolves "exists". */
  putReject(reject: ArchivedReject): Promise<PutResult>;
  /** Rejects whose dt= partition lies in [since, until] (inclusive, YYYY-MM-DD), in key order. */
  listRejects(range: { readonly since?: string; readonly until?: string }): AsyncIterable<RejectEntry>;
  readReject(key: string): Promise<{ payload: Uint8Array; metadata: RejectMetadata | null }>;
}

export const REJECTS_FOLDER = "rejects";
export const REJECT_KEY = /^rejects\/dt=(\d{4}-\d{2}-\d{2})\/[0-9a-f]{64}\.json$/;
const REASONS: readonly RejectReason[] = ["invalid_json", "invalid_event", "id_conflict"];

export function rejectKey(reject: Pick<ArchivedReject, "receivedAt" | "payloadSha256">): string {
  return `${REJECTS_FOLDER}/dt=${reject.receivedAt.slice(0, 10)}/${reject.payloadSha256}.json`;
}

/** Throws unless `key` is `rejects/dt=<date>/<sha256>.json`: keys come from users too. */
export function assertRejectKey(key: string): void {
  if (!REJECT_KEY.test(key))
    throw new Error(`reject key "${key}" is not rejects/dt=<YYYY-MM-DD>/<sha256>.json`);
}

/** Wire names, as for events: Cloud Storage custom metadata, or the `file:` sidecar. */
export function rejectMetadataToRecord(reject: RejectMetadata): Record<string, string> {
  const record: Record<string, string> = {
    reason: reject.reason,
    // Custom metadata values are limited in size; the detail is a parser message, short.
    detail: reject.detail.slice(0, 1024),
    received_at: reject.receivedAt,
    sha256: reject.payloadSha256,
  };
  if (reject.eventId !== null) record.event_id = reject.eventId;
  if (reject.signatureAlg !== null) record.signature_alg = reject.signatureAlg;
  return record;
}

export function rejectMetadataFromRecord(
  record: Readonly<Record<string, unknown>> | undefined,
): RejectMetadata | null {
  const text = (name: string): string | null => {
    const value = record?.[name];
    return typeof value === "string" && value.length > 0 ? value : null;
  };
  const reason = text("reason") as RejectReason | null;
  const receivedAt = text("received_at");
  const payloadSha256 = text("sha256");
  if (reason === null || !REASONS.includes(reason) || receivedAt === null || payloadSha256 === null)
    return null;
  return {
    reason,
    detail: text("detail") ?? "",
    receivedAt,
    payloadSha256,
    eventId: text("event_id"),
    signatureAlg: text("signature_alg"),
  };
}
