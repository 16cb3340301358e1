import type pg from "pg";
import { type ClaimRow, claimedItemFromRow, keptEventColumns } from "../event-queries.js";
import type {
  ClaimedItem,
  DeadLetter,
  DeadLetterSelection,
  DeliveryFailure,
  Outbox,
  SinkRegistration,
  SinkStatus,
} from "../outbox.js";
import { isoText as iso } from "../plain-row.js";
import { inTransaction } from "./postgres-transaction.js";

/**
 * The outbox on PostgreSQL, over the store's pool (its search_path names the schema).
 * Claims use FOR UPDATE SKIP LOCKED, so several receivers can each run an exporter and
 * never take the same rows.
 */
export class PostgresOutbox implements Outbox {
  constructor(private readonly pool: pg.Pool) {}

  async enableSinks(sinks: readonly SinkRegistration[]): Promise<void> {
    const names = sinks.map((s) => s.name);
    await inTransaction(this.pool, async (client) => {
      await client.query("UPDATE portcall_sinks SET enabled = false WHERE NOT (name = ANY($1::text[]))", [
        names,
      ]);
      await client.query(
        `INSERT INTO portcall_sinks (name, target, event_types, webhook_only)
         SELECT name, target,
                CASE WHEN types IS NULL THEN NULL ELSE ARRAY(SELECT jsonb_array_elements_text(types::jsonb)) END,
                webhook_only
         FROM unnest($1::text[], $2::text[], $3::text[], $4::boolean[]) AS s(name, target, types, webhook_only)
         ON CONFLICT (name) DO UPDATE SET target = excluded.target,
           enabled_at = CASE WHEN portcall_sinks.enabled THEN portcall_sinks.enabled_at ELSE now() END,
           enabled = true, event_types = excluded.event_types, webhook_only = excluded.webhook_only`,
        [
          names,
          sinks.map((s) => s.target),
          sinks.map((s) => (s.events?.types === undefined ? null : JSON.stringify(s.events.types))),
          sinks.map((s) => s.events?.webhookOnly === true),
        ],
      );
    });
  }

  async claim(
    sink: string,
    limit: number,
    leaseMs: number,
    options: { ordered?: boolean } = {},
  ): Promise<ClaimedItem[]> {
    const { rows } = options.ordered
      ? await this.claimOrdered(sink, limit, leaseMs)
      : await this.pool.query<ClaimRow>(
          `WITH due AS (
         SELECT sink, event_id FROM portcall_outbox
         WHERE sink = $1 AND dead_at IS NULL AND next_attempt_at <= now()
         ORDER BY next_attempt_at, event_id
         LIMIT $2
         FOR UPDATE SKIP LOCKED),
       leased AS (
         UPDATE portcall_outbox o SET next_attempt_at = now() + $3 * interval '1 millisecond'
         FROM due WHERE o.sink = due.sink AND o.event_id = due.event_id
         RETURNING o.event_id, o.attempts)
       SELECT l.event_id, l.attempts, ${keptEventColumns("e")}
       FROM leased l LEFT JOIN flexport_events e ON e.id = l.event_id
       ORDER BY l.event_id`,
          [sink, limit, leaseMs],
        );
    return rows.map(claimedItemFromRow);
  }

  /**
   * The first rows by seq up to the first one not due. One claimer per sink at a time (a
   * transaction-scoped advisory lock); the lease then keeps other receivers off the batch in
   * flight, so the sink sees events in commit order even with several receivers.
   */
  private claimOrdered(sink: string, limit: number, leaseMs: number): Promise<{ rows: ClaimRow[] }> {
    return inTransaction(this.pool, async (client) => {
      const locked = await client.query<{ ok: boolean }>(
        "SELECT pg_try_advisory_xact_lock(hashtext('portcall_outbox'), hashtext($1)) AS ok",
        [sink],
      );
      // Another receiver is claiming for this sink: nothing was written, so committing is
      // the same as rolling back.
      if (locked.rows[0]?.ok !== true) return { rows: [] };
      return client.query<ClaimRow>(
        `WITH head AS (
           SELECT event_id, attempts, seq, next_attempt_at <= now() AS due FROM portcall_outbox
           WHERE sink = $1 AND dead_at IS NULL ORDER BY seq LIMIT $2),
         prefix AS (
           SELECT * FROM head
           WHERE seq < COALESCE((SELECT min(seq) FROM head WHERE NOT due), 9223372036854775807)
             -- A head that failed before is retried alone: the rows behind spend no attempts.
             AND (seq = (SELECT min(seq) FROM head) OR (SELECT attempts FROM head ORDER BY seq LIMIT 1) = 0)),
         leased AS (
           UPDATE portcall_outbox o SET next_attempt_at = now() + $3 * interval '1 millisecond'
           FROM prefix WHERE o.sink = $1 AND o.event_id = prefix.event_id
           RETURNING o.event_id, o.attempts, o.seq)
         SELECT l.event_id, l.attempts, ${keptEventColumns("e")}
         FROM leased l LEFT JOIN flexport_events e ON e.id = l.event_id
         ORDER BY l.seq`,
        [sink, limit, leaseMs],
      );
    });
  }

  async complete(sink: string, eventIds: readonly string[]): Promise<void> {
    if (eventIds.length === 0) return;
    await this.pool.query(
      `WITH gone AS (DELETE FROM portcall_outbox WHERE sink = $1 AND event_id = ANY($2::text[]))
       UPDATE portcall_sinks SET last_success_at = now() WHERE name = $1`,
      [sink, eventIds],
    );
  }

  async fail(sink: string, failures: readonly DeliveryFailure[]): Promise<void> {
    if (failures.length === 0) return;
    await this.pool.query(
      `WITH failed AS (
         UPDATE portcall_outbox o SET attempts = o.attempts + CASE WHEN f.deferred THEN 0 ELSE 1 END,
           next_attempt_at = f.retry_at,
           last_error = f.error, dead_at = CASE WHEN f.dead THEN now() END
         FROM unnest($2::text[], $3::timestamptz[], $4::text[], $6::boolean[], $7::boolean[])
           AS f(event_id, retry_at, error, dead, deferred)
         WHERE o.sink = $1 AND o.event_id = f.event_id)
       UPDATE portcall_sinks SET last_error = $5, last_error_at = now() WHERE name = $1`,
      [
        sink,
        failures.map((f) => f.eventId),
        failures.map((f) => f.retryAt),
        failures.map((f) => f.error),
        failures[failures.length - 1]?.error ?? null,
        failures.map((f) => f.dead === true),
        failures.map((f) => f.deferred === true),
      ],
    );
  }

  async status(): Promise<SinkStatus[]> {
    const { rows } = await this.pool.query<{
      name: string;
      enabled: boolean;
      target: string | null;
      backlog: string;
      oldest: Date | null;
      max_attempts: number | null;
      dead: string;
      last_success_at: Date | null;
      last_error: string | null;
      last_error_at: Date | null;
    }>(
      `SELECT s.name, s.enabled, s.target,
              count(o.event_id) FILTER (WHERE o.dead_at IS NULL) AS backlog,
              min(o.enqueued_at) FILTER (WHERE o.dead_at IS NULL) AS oldest,
              max(o.attempts) FILTER (WHERE o.dead_at IS NULL) AS max_attempts,
              count(o.event_id) FILTER (WHERE o.dead_at IS NOT NULL) AS dead,
              s.last_success_at, s.last_error, s.last_error_at
       FROM portcall_sinks s LEFT JOIN portcall_outbox o ON o.sink = s.name
       GROUP BY s.name ORDER BY s.name`,
    );
    return rows.map((r) => ({
      sink: r.name,
      enabled: r.enabled,
      target: r.target,
      backlog: Number(r.backlog),
      oldestPendingAt: iso(r.oldest),
      maxAttempts: r.max_attempts ?? 0,
      deadLetters: Number(r.dead),
      lastSuccessAt: iso(r.last_success_at),
      lastError: r.last_error,
      lastErrorAt: iso(r.last_error_at),
    }));
  }

  async deadLetters(selection: DeadLetterSelection, limit: number): Promise<DeadLetter[]> {
    const { rows } = await this.pool.query<{
      sink: string;
      event_id: string;
      attempts: number;
      last_error: string | null;
      dead_at: Date;
    }>(
      `SELECT sink, event_id, attempts, last_error, dead_at FROM portcall_outbox
       WHERE ${DEAD_WHERE} ORDER BY dead_at, sink, event_id LIMIT $3`,
      [...deadParams(selection), limit],
    );
    return rows.map((r) => ({
      sink: r.sink,
      eventId: r.event_id,
      attempts: r.attempts,
      lastError: r.last_error,
      deadAt: iso(r.dead_at) ?? "",
    }));
  }

  async retryDead(selection: DeadLetterSelection): Promise<number> {
    const result = await this.pool.query(
      `UPDATE portcall_outbox SET dead_at = NULL, attempts = 0, next_attempt_at = now() WHERE ${DEAD_WHERE}`,
      deadParams(selection),
    );
    return result.rowCount ?? 0;
  }
}

/** Dead rows, narrowed by $1 (sink) and $2 (event ids) when they are not null. */
const DEAD_WHERE = `dead_at IS NOT NULL AND ($1::text IS NULL OR sink = $1)
  AND ($2::text[] IS NULL OR event_id = ANY($2::text[]))`;

function deadParams(selection: DeadLetterSelection): [string | null, readonly string[] | null] {
  return [selection.sink ?? null, selection.eventIds ?? null];
}
