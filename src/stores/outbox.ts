import type { ExportEvent } from "../sinks/export-sink.js";

/** An outbox row claimed for delivery, with its event (undefined if the event is gone). */
export interface ClaimedItem {
  readonly eventId: string;
  /** Failed deliveries so far. */
  readonly attempts: number;
  readonly event: ExportEvent | undefined;
}

export interface DeliveryFailure {
  readonly eventId: string;
  readonly error: string;
  readonly retryAt: Date;
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
  readonly lastSuccessAt: string | null;
  readonly lastError: string | null;
  readonly lastErrorAt: string | null;
}

/**
 * Per-sink export progress kept in the database: the store's trigger queues one row per
 * enabled sink in the same transaction that commits the event; exporters claim, deliver
 * and delete rows. Claims are leases (next_attempt_at moves ahead), so a crashed exporter's
 * rows come back after the lease, and several exporters never deliver one row at once.
 * The store owns its outbox (`EventStore.outbox()`) and closes it with itself.
 */
export interface Outbox {
  /** Marks these sinks enabled (new events get queued for them) and the others disabled. */
  enableSinks(sinks: readonly { name: string; target: string }[]): Promise<void>;
  /** Up to `limit` due rows of `sink`, oldest first, leased for `leaseMs`. */
  claim(sink: string, limit: number, leaseMs: number): Promise<ClaimedItem[]>;
  /** Delivered: the rows go. */
  complete(sink: string, eventIds: readonly string[]): Promise<void>;
  /** Not delivered: counted, kept with the error, due again at retryAt. */
  fail(sink: string, failures: readonly DeliveryFailure[]): Promise<void>;
  status(): Promise<SinkStatus[]>;
}
