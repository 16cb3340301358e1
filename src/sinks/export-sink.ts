import type { KeptEvent } from "../core/event-recorder.js";
import type { EventFilter } from "../stores/outbox.js";

/** A committed event as the sinks get it: the one kept-event shape, under the sinks' name. */
export type ExportEvent = KeptEvent;

/**
 * Per event: delivered (or already there), or why not. `invalid` means the sink refused this
 * event itself (retrying as-is cannot help, unlike an outage): after the sink's allowed
 * attempts such an event becomes a dead letter instead of being retried forever.
 */
export type ExportResult =
  | { readonly ok: true }
  | { readonly ok: false; readonly error: string; readonly invalid?: boolean }
  /** Not attempted: an ordered sink stopped at an earlier event, which this one waits for. */
  | { readonly ok: false; readonly error: string; readonly deferred: true };

/**
 * A place the exporter copies committed events to. Delivery must be idempotent: after a
 * crash the same event may be delivered again, and must not end up there twice.
 */
export interface ExportSink {
  /** Stable name, the key of its progress in the database (`archive`, `bigquery`). */
  readonly name: string;
  /** Where it writes, for status output; never credentials. */
  readonly target: string;
  /**
   * Attempts an event the sink calls invalid gets before it becomes a dead letter; the
   * exporter's `maxAttempts` when unset.
   */
  readonly maxAttempts?: number;
  /**
   * Deliver in commit order: a failing event holds back the later ones (until it succeeds or
   * becomes a dead letter) instead of being overtaken. Destinations of alerts are ordered.
   */
  readonly ordered?: boolean;
  /** How long a claimed batch stays reserved for this sink; the exporter's `leaseMs` when unset. */
  readonly leaseMs?: number;
  /** The committed events the outbox queues for it; every event when unset. */
  readonly events?: EventFilter | undefined;
  /** Results in the order of `events`; a rejection fails the whole batch. */
  deliver(events: readonly ExportEvent[]): Promise<ExportResult[]>;
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
