import type { EventRecorder, RejectReason, VerifiedEvent } from "../core/event-recorder.js";
import type { AlertLog } from "./alert-log.js";
import type { Outbox } from "./outbox.js";
import type { ShipmentReports } from "./reports.js";

/** One row of `flexport_events`, without the payload. */
export interface EventSummary {
  readonly id: string;
  readonly type: string;
  readonly occurred_at: string | null;
  readonly created_at: string | null;
  readonly received_at: string;
  readonly last_received_at: string;
  readonly deliveries: number;
  readonly signature_alg: string | null;
  readonly payload_sha256: string;
  /** How it reached the store: webhook, backfill or replay. */
  readonly source: string;
  /** The configured source (endpoint) it arrived through; `default` for /webhooks/flexport. */
  readonly source_name: string;
  readonly api: "freight" | "logistics";
}

export interface StoredEvent extends EventSummary {
  /** The exact body received. */
  readonly payload: string;
}

export interface RejectSummary {
  readonly payload_sha256: string;
  readonly reason: RejectReason;
  readonly detail: string;
  readonly event_id: string | null;
  readonly signature_alg: string | null;
  readonly received_at: string;
  readonly last_received_at: string;
  readonly deliveries: number;
  readonly source_name: string;
  readonly bytes: number;
}

export interface StoredReject extends RejectSummary {
  readonly payload: Uint8Array;
}

export interface EventQuery {
  readonly type?: string | undefined;
  /** Only events of this configured source. */
  readonly source?: string | undefined;
  /** Inclusive lower bound on received_at (ISO-8601). */
  readonly since?: string | undefined;
  readonly limit?: number | undefined;
}

export interface RejectQuery {
  readonly limit?: number | undefined;
  /** Only bodies sent to this configured source. */
  readonly source?: string | undefined;
}

export interface MigrationResult {
  readonly version: number;
  readonly name: string;
  /** true when this call applied it; false when it was already there. */
  readonly applied: boolean;
}

/** Called after every group commit, for metrics. */
export interface CommitObserver {
  committed(batchSize: number, seconds: number, ok: boolean): void;
}

/**
 * A durable home for events, and the typed handle to everything else kept in its database
 * (the outbox, the reports), so no caller needs the driver's connection. Implementations: SQLite (embedded default) and PostgreSQL.
 * Every write resolves only once committed; concurrent writes are group-committed.
 */
export interface EventStore extends EventRecorder {
  readonly dialect: "sqlite" | "postgres";
  /** Applies pending migrations; safe when several processes start at once. */
  migrate(): Promise<MigrationResult[]>;
  /**
   * The migration versions recorded in this database (PostgreSQL: this schema), or undefined
   * when it holds no portcall tables at all. Creates nothing: read-only commands ask this.
   */
  appliedMigrations(): Promise<ReadonlySet<number> | undefined>;
  /** Resolves when the store can take a write now; rejects with the reason otherwise. */
  ping(): Promise<void>;
  /** Stores an event only if its id is unknown, without counting a delivery (backfill, replay). */
  insertIfAbsent(event: VerifiedEvent, receivedAt: Date): Promise<boolean>;
  listEvents(query: EventQuery): Promise<EventSummary[]>;
  /** How many events match the query's filters (its limit is ignored). */
  countEvents(query: EventQuery): Promise<number>;
  getEvent(id: string): Promise<StoredEvent | undefined>;
  listRejects(query: RejectQuery): Promise<RejectSummary[]>;
  getReject(payloadSha256: string): Promise<StoredReject | undefined>;
  /** The full hashes of up to `limit` quarantined bodies whose hash starts with a hex prefix. */
  rejectHashesStartingWith(prefix: string, limit: number): Promise<string[]>;
  /** The export outbox in this store's database; the store owns it and closes it. */
  outbox(): Outbox;
  /** Alerts sent and pending, and what derives them (ETA history, leases); owned by the store. */
  alertLog(): AlertLog;
  /** Read-only answers from the milestone views of this store's database. */
  reports(): ShipmentReports;
  /** Finishes pending writes, then releases the database (and the outbox's connection). */
  close(): Promise<void>;
}
