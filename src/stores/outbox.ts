import type { KeptEvent } from "../core/event-recorder.js";

/** An outbox row claimed for delivery, with its event (undefined if the event is gone). */
export interface ClaimedItem {
  readonly eventId: string;
  /** Failed deliveries so far. */
  readonly attempts: number;
  readonly event: KeptEvent | undefined;
}

export interface DeliveryFailure {
  readonly eventId: string;
  readonly error: string;
  readonly retryAt: Date;
  /** The last allowed attempt failed: the row becomes a dead letter and is not retried. */
  readonly dead?: boolean;
  /** Not attempted (an ordered sink stopped at an earlier failure): not counted as an attempt. */
  readonly deferred?: boolean;
}

/**
 * Which committed events the outbox queues for a sink; every event when absent. A
 * pre-filter: the sink still decides what to do with each event it gets.
 */
export interface EventFilter {
  /** Exact types, or prefixes ending in `*`; absent: every type. */
  readonly types?: readonly string[] | undefined;
  /** Only events that arrived by webhook, not by backfill or replay. */
  readonly webhookOnly?: boolean | undefined;
}

/** A sink as the outbox knows it. */
export interface SinkRegistration {
  readonly name: string;
  readonly target: string;
  readonly events?: EventFilter | undefined;
}

/** An outbox row no longer retried (see `DeliveryFailure.dead`). */
export interface DeadLetter {
  readonly sink: string;
  readonly eventId: string;
  readonly attempts: number;
  readonly lastError: string | null;
  /** When it became dead (ISO-8601). */
  readonly deadAt: string;
}

/** Which dead letters to put back in the queue; no field means all of them. */
export interface DeadLetterSelection {
  readonly sink?: string;
  readonly eventIds?: readonly string[];
}

export interface SinkStatus {
  readonly sink: string;
  readonly enabled: boolean;
  readonly target: string | null;
  /** Events committed but not yet delivered to this sink. */
  readonly backlog: number;
  /** When the oldest of them was queued (ISO-8601), or null with no backlog. */
  readonly oldestPendingAt: string | null;
  /** Most failed attempts of any pending event. */
  readonly maxAttempts: number;
  /** Rows given up on after their last allowed attempt; not in `backlog`. */
  readonly deadLetters: number;
  readonly lastSuccessAt: string | null;
  readonly lastError: string | null;
  readonly lastErrorAt: string | null;
}

/**
 * Per-sink export progress kept in the database: the store's trigger queues one row per
 * enabled sink in the same transaction that commits the event; exporters claim, deliver
 * and delete rows; a row that fails its last allowed attempt stays as a dead letter until
 * retried. Claims are leases (next_attempt_at moves ahead), so a crashed exporter's
 * rows come back after the lease, and several exporters never deliver one row at once.
 * The store owns its outbox (`EventStore.outbox()`) and closes it with itself.
 */
export interface Outbox {
  /**
   * Marks these sinks enabled (new events get queued for them, those their filter lets
   * through) and the others disabled. A changed filter applies to events committed from now on.
   */
  enableSinks(sinks: readonly SinkRegistration[]): Promise<void>;
  /**
   * Up to `limit` due rows of `sink`, oldest first, leased for `leaseMs`. `ordered`: the
   * first rows in commit order, stopping at the first one not due (or leased), so a sink
   * never sees an event before the ones committed earlier have gone or died.
   */
  claim(
    sink: string,
    limit: number,
    leaseMs: number,
    options?: { ordered?: boolean },
  ): Promise<ClaimedItem[]>;
  /** Delivered: the rows go. */
  complete(sink: string, eventIds: readonly string[]): Promise<void>;
  /** Not delivered: counted, kept with the error, due again at retryAt, or dead. */
  fail(sink: string, failures: readonly DeliveryFailure[]): Promise<void>;
  status(): Promise<SinkStatus[]>;
  /** Dead letters, oldest first, at most `limit`. */
  deadLetters(selection: DeadLetterSelection, limit: number): Promise<DeadLetter[]>;
  /** Puts the selected dead letters back in the queue, due now, attempts from 0; returns how many. */
  retryDead(selection: DeadLetterSelection): Promise<number>;
}

/**
 * Events wait and the sink's most recent attempt failed (an error newer than its last
 * success). With nothing pending, an old error (say, a row set aside as a dead letter) is
 * history, not a failing export.
 */
export function exportFailedLast(s: SinkStatus): boolean {
  return (
    s.backlog > 0 && s.lastErrorAt !== null && (s.lastSuccessAt === null || s.lastErrorAt > s.lastSuccessAt)
  );
}
