import pg from "pg";
import type { AlertLog } from "../alert-log.js";
import {
  countEventsSql,
  EVENT_COLUMNS,
  hexPrefixRange,
  listEventsSql,
  REJECT_COLUMNS,
  REJECT_PREFIX_SQL,
} from "../event-queries.js";
import { GroupCommitStore } from "../group-commit-store.js";
import { migrate } from "../migrator.js";
import type { Outbox } from "../outbox.js";
import { plainRow } from "../plain-row.js";
import type { ShipmentReports } from "../reports.js";
import type {
  CommitObserver,
  EventQuery,
  EventStore,
  EventSummary,
  MigrationResult,
  RejectQuery,
  RejectSummary,
  StoredEvent,
  StoredReject,
} from "../store.js";
import type { Write, WriteResult } from "../writes.js";
import { PostgresAlertLog } from "./postgres-alert-log.js";
import { commitPostgresBatch } from "./postgres-batch.js";
import { postgresMigrationLock } from "./postgres-migration-lock.js";
import { PostgresOutbox } from "./postgres-outbox.js";
import { createPostgresReports } from "./postgres-reports.js";

export interface PostgresStoreOptions {
  readonly connectionString: string;
  /** Schema holding portcall's tables; created by migrate() when missing. */
  readonly schema: string;
  readonly poolMax?: number;
  readonly connectTimeoutMs?: number;
  readonly statementTimeoutMs?: number;
  readonly maxBatch?: number;
  /** Batches committing at once, each on its own pooled connection (see GroupCommitter). */
  readonly commitsInFlight?: number;
  readonly observer?: CommitObserver;
}

const REJECT_COLUMNS_WITH_SIZE = `${REJECT_COLUMNS}, octet_length(payload) AS bytes`;

/**
 * PostgreSQL store for several receivers on one database. The database alone decides
 * new or duplicate (INSERT … ON CONFLICT), so two receivers racing on one event still
 * store it once; concurrent deliveries share one multi-row statement (postgres-batch.ts).
 */
export class PostgresStore extends GroupCommitStore implements EventStore {
  readonly dialect = "postgres";
  private readonly pool: pg.Pool;
  private readonly sharedOutbox: PostgresOutbox;
  private sharedAlertLog: PostgresAlertLog | undefined;

  constructor(private readonly options: PostgresStoreOptions) {
    super({
      maxBatch: options.maxBatch ?? 500,
      maxInFlight: options.commitsInFlight ?? 3,
      observer: options.observer,
    });
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(options.schema)) {
      throw new Error(`PORTCALL_DB_SCHEMA: "${options.schema}" must be a lower-case SQL identifier`);
    }
    const statementTimeout = options.statementTimeoutMs ?? 5000;
    this.pool = new pg.Pool({
      connectionString: options.connectionString,
      max: options.poolMax ?? 10,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 3000,
      // Server-side limit, plus a client-side one for when the server cannot even answer.
      statement_timeout: statementTimeout,
      query_timeout: statementTimeout + 1000,
      idleTimeoutMillis: 30_000,
      keepAlive: true,
      options: `-c search_path=${options.schema}`,
      application_name: "portcall",
    });
    // An idle client losing its connection must not crash the process; the next query
    // gets a fresh connection or a clear error.
    this.pool.on("error", () => undefined);
    this.sharedOutbox = new PostgresOutbox(this.pool);
  }

  migrate(): Promise<MigrationResult[]> {
    return migrate(postgresMigrationLock(this.pool, this.options.schema));
  }

  async appliedMigrations(): Promise<ReadonlySet<number> | undefined> {
    const table = `${this.options.schema}.portcall_migrations`;
    const { rows } = await this.pool.query<{ found: string | null }>("SELECT to_regclass($1) AS found", [
      table,
    ]);
    if (rows[0]?.found === null || rows[0]?.found === undefined) return undefined;
    const applied = await this.pool.query<{ version: number }>(`SELECT version FROM ${table}`);
    return new Set(applied.rows.map((r) => r.version));
  }

  async ping(): Promise<void> {
    await this.pool.query("SELECT 1");
  }

  async listEvents(query: EventQuery): Promise<EventSummary[]> {
    const { sql, params } = listEventsSql(query, (n) => `$${n}`, null);
    const { rows } = await this.pool.query(sql, params);
    return rows.map((r) => plainRow<EventSummary>(r));
  }

  async countEvents(query: EventQuery): Promise<number> {
    const { sql, params } = countEventsSql(query, (n) => `$${n}`);
    const { rows } = await this.pool.query<{ n: string }>(sql, params);
    return Number(rows[0]?.n ?? 0);
  }

  async rejectHashesStartingWith(prefix: string, limit: number): Promise<string[]> {
    const { rows } = await this.pool.query<{ payload_sha256: string }>(
      REJECT_PREFIX_SQL((n) => `$${n}`),
      [...hexPrefixRange(prefix), limit],
    );
    return rows.map((r) => r.payload_sha256);
  }

  getEvent(id: string): Promise<StoredEvent | undefined> {
    return this.firstRow(`SELECT ${EVENT_COLUMNS}, payload FROM flexport_events WHERE id = $1`, id);
  }

  async listRejects(query: RejectQuery): Promise<RejectSummary[]> {
    const { rows } = await this.pool.query(
      `SELECT ${REJECT_COLUMNS_WITH_SIZE} FROM flexport_rejects
       WHERE ($2::text IS NULL OR source_name = $2) ORDER BY received_at DESC, payload_sha256 LIMIT $1`,
      [query.limit ?? null, query.source ?? null],
    );
    return rows.map((r) => plainRow<RejectSummary>(r));
  }

  getReject(payloadSha256: string): Promise<StoredReject | undefined> {
    return this.firstRow(
      `SELECT ${REJECT_COLUMNS_WITH_SIZE}, payload FROM flexport_rejects WHERE payload_sha256 = $1`,
      payloadSha256,
    );
  }

  private async firstRow<Row>(sql: string, key: string): Promise<Row | undefined> {
    const { rows } = await this.pool.query(sql, [key]);
    return rows[0] === undefined ? undefined : plainRow<Row>(rows[0]);
  }

  /** The pool, typed, for checks that need PostgreSQL itself. */
  get database(): pg.Pool {
    return this.pool;
  }

  /** The outbox shares the store's pool (its search_path names the schema). */
  outbox(): Outbox {
    return this.sharedOutbox;
  }

  alertLog(): AlertLog {
    this.sharedAlertLog ??= new PostgresAlertLog(this.pool);
    return this.sharedAlertLog;
  }

  reports(): ShipmentReports {
    return createPostgresReports(this.pool);
  }

  protected commitBatch(writes: Write[]): Promise<WriteResult[]> {
    return commitPostgresBatch(this.pool, writes);
  }

  protected async release(): Promise<void> {
    await this.pool.end();
  }
}
