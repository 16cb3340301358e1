import pg from "pg";
import type { QuarantinedBody, RecordOutcome, VerifiedEvent } from "../../core/sink.js";
import { GroupCommitter } from "../group-commit.js";
import { loadMigrations } from "../migration-files.js";
import type {
  CommitObserver,
  EventQuery,
  EventStore,
  EventSummary,
  MigrationResult,
  RejectSummary,
  StoredEvent,
  StoredReject,
} from "../store.js";
import {
  conflictDetail,
  type QuarantineWrite,
  type RecordWrite,
  toQuarantineWrite,
  toRecordWrite,
  type Write,
  type WriteResult,
} from "../writes.js";

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

const EVENT_COLUMNS = `id, type, occurred_at, created_at, received_at, last_received_at, deliveries,
  signature_alg, payload_sha256, source`;
/**
 * The payloads of a batch travel as one JSON array of strings rather than a text[] literal:
 * node-postgres builds array literals by escaping every quote of every element in JavaScript
 * and concatenating megabytes of string, which profiled as the replay's main cost (half of it
 * garbage collection); JSON.stringify does the same escaping natively, and PostgreSQL gives
 * back each string exactly. Ordinality keeps the array aligned with the other columns.
 */
const payloadsFromJson = (param: number) =>
  `ARRAY(SELECT value FROM json_array_elements_text($${param}::json) WITH ORDINALITY ORDER BY ordinality)`;
const PAYLOADS_FROM_JSON_9 = payloadsFromJson(9);
const PAYLOADS_FROM_JSON_7 = payloadsFromJson(7);
const REJECT_COLUMNS = `payload_sha256, reason, detail, event_id, signature_alg, received_at,
  last_received_at, deliveries, octet_length(payload) AS bytes`;
const TIMESTAMP_COLUMNS = ["occurred_at", "created_at", "received_at", "last_received_at"] as const;
/** Deadlock and serialization failures: safe to retry the whole statement. */
const RETRYABLE = new Set(["40P01", "40001"]);

/**
 * PostgreSQL store for several receivers on one database. The database alone decides
 * new or duplicate (INSERT … ON CONFLICT), so two receivers racing on one event still
 * store it once; concurrent deliveries share one multi-row statement.
 */
export class PostgresStore implements EventStore {
  readonly dialect = "postgres";
  private readonly pool: pg.Pool;
  private readonly committer: GroupCommitter<Write, WriteResult>;
  private closed = false;

  constructor(private readonly options: PostgresStoreOptions) {
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
    this.committer = new GroupCommitter(
      (writes) => this.commit(writes),
      options.maxBatch ?? 500,
      options.commitsInFlight ?? 3,
    );
  }

  async migrate(): Promise<MigrationResult[]> {
    const client = await this.pool.connect();
    try {
      await client.query("BEGIN");
      // Receivers starting together queue here; each migration is applied once.
      await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [
        `portcall:migrate:${this.options.schema}`,
      ]);
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${this.options.schema}`);
      await client.query(`SET LOCAL search_path TO ${this.options.schema}`);
      await client.query(`CREATE TABLE IF NOT EXISTS portcall_migrations (
        version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
      const done = new Set(
        (await client.query<{ version: number }>("SELECT version FROM portcall_migrations")).rows.map(
          (r) => r.version,
        ),
      );
      const results: MigrationResult[] = [];
      for (const file of loadMigrations("postgres")) {
        if (done.has(file.version)) {
          results.push({ version: file.version, name: file.name, applied: false });
          continue;
        }
        await client.query(file.sql);
        await client.query("INSERT INTO portcall_migrations (version, name) VALUES ($1, $2)", [
          file.version,
          file.name,
        ]);
        results.push({ version: file.version, name: file.name, applied: true });
      }
      await client.query("COMMIT");
      return results;
    } catch (error) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  record(event: VerifiedEvent, receivedAt: Date): Promise<RecordOutcome> {
    return this.write(toRecordWrite("record", event, receivedAt)) as Promise<RecordOutcome>;
  }

  async insertIfAbsent(event: VerifiedEvent, receivedAt: Date): Promise<boolean> {
    return (await this.write(toRecordWrite("insert_if_absent", event, receivedAt))) === "inserted";
  }

  async quarantine(body: QuarantinedBody, receivedAt: Date): Promise<void> {
    await this.write(toQuarantineWrite(body, receivedAt));
  }

  async ping(): Promise<void> {
    await this.pool.query("SELECT 1");
  }

  async listEvents(query: EventQuery): Promise<EventSummary[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (query.type !== undefined) {
      params.push(query.type);
      where.push(`type = $${params.length}`);
    }
    if (query.since !== undefined) {
      params.push(query.since);
      where.push(`received_at >= $${params.length}`);
    }
    params.push(query.limit ?? null);
    const { rows } = await this.pool.query(
      `SELECT ${EVENT_COLUMNS} FROM flexport_events
       ${where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""}
       ORDER BY received_at DESC, id DESC LIMIT $${params.length}`,
      params,
    );
    return rows.map((r) => isoTimestamps<EventSummary>(r));
  }

  async getEvent(id: string): Promise<StoredEvent | undefined> {
    const { rows } = await this.pool.query(
      `SELECT ${EVENT_COLUMNS}, payload FROM flexport_events WHERE id = $1`,
      [id],
    );
    return rows[0] === undefined ? undefined : isoTimestamps<StoredEvent>(rows[0]);
  }

  async listRejects(query: { readonly limit?: number | undefined }): Promise<RejectSummary[]> {
    const { rows } = await this.pool.query(
      `SELECT ${REJECT_COLUMNS} FROM flexport_rejects ORDER BY received_at DESC, payload_sha256 LIMIT $1`,
      [query.limit ?? null],
    );
    return rows.map((r) => isoTimestamps<RejectSummary>(r));
  }

  async getReject(payloadSha256: string): Promise<StoredReject | undefined> {
    const { rows } = await this.pool.query(
      `SELECT ${REJECT_COLUMNS}, payload FROM flexport_rejects WHERE payload_sha256 = $1`,
      [payloadSha256],
    );
    return rows[0] === undefined ? undefined : isoTimestamps<StoredReject>(rows[0]);
  }

  /** The pool, for the views and reports built on this store. */
  get database(): pg.Pool {
    return this.pool;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.committer.drain();
    await this.pool.end();
  }

  private async write(write: Write): Promise<string> {
    if (this.closed) throw new Error("store is closed");
    const result = await this.committer.submit(write);
    if (!result.ok) throw new Error(result.error);
    return result.outcome;
  }

  private async commit(writes: Write[]): Promise<WriteResult[]> {
    const started = performance.now();
    let ok = false;
    try {
      const results = await this.commitWithRetry(writes);
      ok = true;
      return results;
    } finally {
      this.options.observer?.committed(writes.length, (performance.now() - started) / 1000, ok);
    }
  }

  private async commitWithRetry(writes: Write[]): Promise<WriteResult[]> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.commitOnce(writes);
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (attempt >= 3 || code === undefined || !RETRYABLE.has(code)) throw error;
      }
    }
  }

  /**
   * Events first (one statement), then quarantined bodies and id conflicts (one more).
   * Each statement commits on its own: a delivery is answered only after both succeed,
   * and a failure between them is retried by Flexport and counted as a redelivery.
   */
  private async commitOnce(writes: Write[]): Promise<WriteResult[]> {
    const results: WriteResult[] = new Array(writes.length);
    const rejects: QuarantineWrite[] = [];
    const records = writes.flatMap((w, i) => (w.op === "quarantine" ? [] : [{ w, i }]));
    writes.forEach((w, i) => {
      if (w.op === "quarantine") {
        rejects.push(w);
        results[i] = { ok: true, outcome: "quarantined" };
      }
    });

    const upserts = records.filter((r) => r.w.op === "record");
    if (upserts.length > 0) {
      const first = await this.upsertEvents(upserts.map((r) => r.w));
      const seen = new Map<string, string>(); // id -> sha256 of the bytes already kept
      for (const { w, i } of upserts) {
        const row = first.get(w.id);
        if (row === undefined) throw new Error(`upsert returned no row for ${w.id}`);
        const kept = seen.get(w.id);
        if (kept === undefined && row.inserted) {
          seen.set(w.id, w.payloadSha256);
          results[i] = { ok: true, outcome: "stored" };
          continue;
        }
        const firstSha = kept ?? row.payload_sha256;
        seen.set(w.id, firstSha);
        if (firstSha === w.payloadSha256) {
          results[i] = { ok: true, outcome: "duplicate" };
        } else {
          results[i] = { ok: true, outcome: "conflict" };
          rejects.push({
            op: "quarantine",
            reason: "id_conflict",
            detail: conflictDetail(w.id, firstSha),
            eventId: w.id,
            signatureAlg: w.signatureAlg,
            receivedAt: w.receivedAt,
            payload: Buffer.from(w.payload, "utf8"),
            payloadSha256: w.payloadSha256,
          });
        }
      }
    }

    const inserts = records.filter((r) => r.w.op === "insert_if_absent");
    if (inserts.length > 0) {
      const inserted = await this.insertEventsIfAbsent(inserts.map((r) => r.w));
      const claimed = new Set<string>();
      for (const { w, i } of inserts) {
        const isNew = inserted.has(w.id) && !claimed.has(w.id);
        claimed.add(w.id);
        results[i] = { ok: true, outcome: isNew ? "inserted" : "present" };
      }
    }

    if (rejects.length > 0) await this.upsertRejects(rejects);
    return results;
  }

  /**
   * One statement for the whole batch. Rows are merged per id (ON CONFLICT DO UPDATE may
   * touch a row only once per statement) and sorted by id so that two receivers locking
   * the same ids always do so in the same order and cannot deadlock.
   */
  private async upsertEvents(
    writes: RecordWrite[],
  ): Promise<Map<string, { inserted: boolean; payload_sha256: string }>> {
    const byId = new Map<string, { w: RecordWrite; count: number; last: string }>();
    for (const w of writes) {
      const entry = byId.get(w.id);
      if (entry === undefined) byId.set(w.id, { w, count: 1, last: w.receivedAt });
      else {
        entry.count++;
        entry.last = w.receivedAt;
      }
    }
    const rows = [...byId.values()].sort((a, b) => (a.w.id < b.w.id ? -1 : a.w.id > b.w.id ? 1 : 0));
    const column = <T>(pick: (r: (typeof rows)[number]) => T) => rows.map(pick);
    const { rows: returned } = await this.pool.query<{
      id: string;
      inserted: boolean;
      payload_sha256: string;
    }>({
      // Named: each pooled connection parses and plans it once, not on every commit.
      name: "portcall_upsert_events",
      text: `INSERT INTO flexport_events AS e (id, type, occurred_at, created_at, received_at, last_received_at,
                                          deliveries, signature_alg, payload, payload_sha256, source)
       SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::timestamptz[], $5::timestamptz[],
                            $6::timestamptz[], $7::integer[], $8::text[], ${PAYLOADS_FROM_JSON_9}, $10::text[], $11::text[])
       ON CONFLICT (id) DO UPDATE SET deliveries = e.deliveries + excluded.deliveries,
                                      last_received_at = greatest(e.last_received_at, excluded.last_received_at)
       RETURNING id, (xmax = 0) AS inserted, payload_sha256`,
      values: [
        column((r) => r.w.id),
        column((r) => r.w.type),
        column((r) => r.w.occurredAt),
        column((r) => r.w.createdAt),
        column((r) => r.w.receivedAt),
        column((r) => r.last),
        column((r) => r.count),
        column((r) => r.w.signatureAlg),
        JSON.stringify(column((r) => r.w.payload)),
        column((r) => r.w.payloadSha256),
        column((r) => r.w.source),
      ],
    });
    return new Map(returned.map((r) => [r.id, r]));
  }

  private async insertEventsIfAbsent(writes: RecordWrite[]): Promise<Set<string>> {
    const unique = [...new Map(writes.map((w) => [w.id, w])).values()].sort((a, b) =>
      a.id < b.id ? -1 : a.id > b.id ? 1 : 0,
    );
    const column = <T>(pick: (w: RecordWrite) => T) => unique.map(pick);
    const { rows } = await this.pool.query<{ id: string }>({
      // Named: each pooled connection parses and plans it once, not on every commit.
      name: "portcall_insert_events_if_absent",
      text: `INSERT INTO flexport_events (id, type, occurred_at, created_at, received_at, last_received_at,
                                    deliveries, signature_alg, payload, payload_sha256, source)
       SELECT id, type, occurred_at, created_at, received_at, received_at, 1, signature_alg, payload, payload_sha256, source
       FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::timestamptz[], $5::timestamptz[],
                   $6::text[], ${PAYLOADS_FROM_JSON_7}, $8::text[], $9::text[])
            AS t(id, type, occurred_at, created_at, received_at, signature_alg, payload, payload_sha256, source)
       ON CONFLICT (id) DO NOTHING
       RETURNING id`,
      values: [
        column((w) => w.id),
        column((w) => w.type),
        column((w) => w.occurredAt),
        column((w) => w.createdAt),
        column((w) => w.receivedAt),
        column((w) => w.signatureAlg),
        JSON.stringify(column((w) => w.payload)),
        column((w) => w.payloadSha256),
        column((w) => w.source),
      ],
    });
    return new Set(rows.map((r) => r.id));
  }

  private async upsertRejects(writes: QuarantineWrite[]): Promise<void> {
    const bySha = new Map<string, { w: QuarantineWrite; count: number; last: string }>();
    for (const w of writes) {
      const entry = bySha.get(w.payloadSha256);
      if (entry === undefined) bySha.set(w.payloadSha256, { w, count: 1, last: w.receivedAt });
      else {
        entry.count++;
        entry.last = w.receivedAt;
      }
    }
    const rows = [...bySha.values()].sort((a, b) => (a.w.payloadSha256 < b.w.payloadSha256 ? -1 : 1));
    const column = <T>(pick: (r: (typeof rows)[number]) => T) => rows.map(pick);
    await this.pool.query({
      // Named: each pooled connection parses and plans it once, not on every commit.
      name: "portcall_upsert_rejects",
      text: `INSERT INTO flexport_rejects AS r (payload_sha256, reason, detail, event_id, signature_alg,
                                          received_at, last_received_at, deliveries, payload)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
                            $6::timestamptz[], $7::timestamptz[], $8::integer[], $9::bytea[])
       ON CONFLICT (payload_sha256) DO UPDATE SET deliveries = r.deliveries + excluded.deliveries,
                                                  last_received_at = greatest(r.last_received_at, excluded.last_received_at)`,
      values: [
        column((r) => r.w.payloadSha256),
        column((r) => r.w.reason),
        column((r) => r.w.detail),
        column((r) => r.w.eventId),
        column((r) => r.w.signatureAlg),
        column((r) => r.w.receivedAt),
        column((r) => r.last),
        column((r) => r.count),
        column((r) => Buffer.from(r.w.payload.buffer, r.w.payload.byteOffset, r.w.payload.byteLength)),
      ],
    });
  }
}

/** pg returns timestamptz as Date; every store reports ISO-8601 UTC text. */
function isoTimestamps<T>(row: Record<string, unknown>): T {
  const copy = { ...row };
  for (const key of TIMESTAMP_COLUMNS) {
    const value = copy[key];
    if (value instanceof Date) copy[key] = value.toISOString();
  }
  return copy as T;
}
