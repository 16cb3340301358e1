import type { KeptEvent, QuarantinedBody, RecordOutcome, VerifiedEvent } from "../core/event-recorder.js";
import { keptEvent } from "../core/verified-event.js";

/** A write as queued for a group commit; plain data, so it can cross to a worker thread. */
export interface RecordWrite extends KeptEvent {
  readonly op: "record" | "insert_if_absent";
}

export interface QuarantineWrite extends QuarantinedBody {
  readonly op: "quarantine";
  /** ISO-8601 UTC. */
  readonly receivedAt: string;
}

export type Write = RecordWrite | QuarantineWrite;

export type WriteResult =
  | { readonly ok: true; readonly outcome: RecordOutcome | "inserted" | "present" | "quarantined" }
  | { readonly ok: false; readonly error: string };

export function toRecordWrite(op: RecordWrite["op"], event: VerifiedEvent, receivedAt: Date): RecordWrite {
  return { op, ...keptEvent(event, receivedAt) };
}

export function toQuarantineWrite(body: QuarantinedBody, receivedAt: Date): QuarantineWrite {
  return { op: "quarantine", ...body, receivedAt: receivedAt.toISOString() };
}

export function conflictDetail(id: string, firstSha256: string): string {
  return `event id ${id} was first received with different bytes (sha256 ${firstSha256})`;
}
