import { setTimeout as sleep } from "node:timers/promises";
import type Database from "better-sqlite3";
import { claimedItemFromRow, type ClaimRow as KeptClaimRow, keptEventColumns } from "../event-queries.js";
import type {
  ClaimedItem,
  DeadLetter,
  DeadLetterSelection,
  DeliveryFailure,
  Outbox,
  SinkRegistration,
  SinkStatus,
} from "../outbox.js";
import { cachedPrepare } from "./sqlite-connection.js";

/** A claim row with its due time, which ordered claims need. */
type ClaimRow = KeptClaimRow & { readonly next_attempt_at: string };

/**
 * The outbox on SQLite, on the connection the store opened for it. It never waits for the
 * lock inside SQLite (busy_timeout = 0, which would block the event loop the webhook path
 * runs on): when the writer thread holds the lock it sleeps asynchronously and tries again.
 * Its commits skip the fsync (synchronous = NORMAL): losing one in a power cut only means an
 * event is delivered again, which every sink takes as a no-op.
 */
export class SqliteOutbox implements Outbox {
  private readonly prepare: Database.Database["prepare"];

  constructor(private readonly db: Database.Database) {
    this.prepare = cachedPrepare(db);
  }

  async enableSinks(sinks: readonly SinkRegistration[]): Promise<void> {
    const now = new Date().toISOString();
    const upsert =
      this.prepare(`INSERT INTO portcall_sinks (name, enabled, target, enabled_at, event_types, webhook_only)
      VALUES (?, 1, ?, ?, ?, ?)
      ON CONFLICT (name) DO UPDATE SET target = excluded.target,
        enabled_at = CASE WHEN enabled = 1 THEN enabled_at ELSE excluded.enabled_at END, enabled = 1,
        event_types = excluded.event_types, webhook_only = excluded.webhook_only`);
    const names = sinks.map((s) => s.name);
    await this.write(() => {
      this.prepare(
        `UPDATE portcall_sinks SET enabled = 0 WHERE name NOT IN (${names.map(() => "?").join(", ") || "''"})`,
      ).run(...names);
      for (const sink of sinks) {
        const types = sink.events?.types;
        upsert.run(
          sink.name,
          sink.target,
          now,
          types === undefined ? null : JSON.stringify(types),
          sink.events?.webhookOnly === true ? 1 : 0,
        );
      }
    });
  }

  async claim(
    sink: string,
    limit: number,
    leaseMs: number,
    options: { ordered?: boolean } = {},
  ): Promise<ClaimedItem[]> {
    const now = Date.now();
    const nowIso = new Date(now).toISOString();
    const columns = `o.event_id, o.attempts, o.next_attempt_at, ${keptEventColumns("e")}`;
    const select = this.prepare<[string, string, number], ClaimRow>(`
      SELECT ${columns}
      FROM portcall_outbox o LEFT JOIN flexport_events e ON e.id = o.event_id
      WHERE o.sink = ? AND o.dead_at IS NULL AND o.next_attempt_at <= ?
      ORDER BY o.next_attempt_at, o.event_id
      LIMIT ?`);
    // Ordered (alert destinations): the first rows by insertion order, due or not.
    const selectOrdered = this.prepare<[string, number], ClaimRow>(`
      SELECT ${columns}
      FROM portcall_outbox o LEFT JOIN flexport_events e ON e.id = o.event_id
      WHERE o.sink = ? AND o.dead_at IS NULL
      ORDER BY o.rowid
      LIMIT ?`);
    const lease = this.prepare(
      "UPDATE portcall_outbox SET next_attempt_at = ? WHERE sink = ? AND event_id = ?",
    );
    const rows = await this.write(() => {
      const due = options.ordered
        ? duePrefix(selectOrdered.all(sink, limit), nowIso)
        : select.all(sink, nowIso, limit);
      const until = new Date(now + leaseMs).toISOString();
      for (const row of due) lease.run(until, sink, row.event_id);
      return due;
    });
    return rows.map(claimedItemFromRow);
  }

  async complete(sink: string, eventIds: readonly string[]): Promise<void> {
    if (eventIds.length === 0) return;
    const remove = this.prepare("DELETE FROM portcall_outbox WHERE sink = ? AND event_id = ?");
    const touch = this.prepare("UPDATE portcall_sinks SET last_success_at = ? WHERE name = ?");
    await this.write(() => {
      for (const id of eventIds) remove.run(sink, id);
      touch.run(new Date().toISOString(), sink);
    });
  }

  async fail(sink: string, failures: readonly DeliveryFailure[]): Promise<void> {
    if (failures.length === 0) return;
    const now = new Date().toISOString();
    const update = this.prepare(`UPDATE portcall_outbox
      SET attempts = attempts + ?, next_attempt_at = ?, last_error = ?, dead_at = ?
      WHERE sink = ? AND event_id = ?`);
    const touch = this.prepare("UPDATE portcall_sinks SET last_error = ?, last_error_at = ? WHERE name = ?");
    await this.write(() => {
      for (const f of failures)
        update.run(
          f.deferred === true ? 0 : 1,
          f.retryAt.toISOString(),
          f.error,
          f.dead === true ? now : null,
          sink,
          f.eventId,
        );
      touch.run(failures[failures.length - 1]?.error ?? null, now, sink);
    });
  }

  async status(): Promise<SinkStatus[]> {
    const rows = this.prepare<
      [],
      {
        name: string;
        enabled: number;
        target: string | null;
        backlog: number;
        oldest: string | null;
        max_attempts: number | null;
        dead: number;
        last_success_at: string | null;
        last_error: string | null;
        last_error_at: string | null;
      }
    >(`SELECT s.name, s.enabled, s.target,
                count(o.event_id) FILTER (WHERE o.dead_at IS NULL) AS backlog,
                min(o.enqueued_at) FILTER (WHERE o.dead_at IS NULL) AS oldest,
                max(o.attempts) FILTER (WHERE o.dead_at IS NULL) AS max_attempts,
                count(o.event_id) FILTER (WHERE o.dead_at IS NOT NULL) AS dead,
                s.last_success_at, s.last_error, s.last_error_at
         FROM portcall_sinks s LEFT JOIN portcall_outbox o ON o.sink = s.name
         GROUP BY s.name ORDER BY s.name`).all();
    return rows.map((r) => ({
      sink: r.name,
      enabled: r.enabled === 1,
      target: r.target,
      backlog: r.backlog,
      oldestPendingAt: r.oldest,
      maxAttempts: r.max_attempts ?? 0,
      deadLetters: r.dead,
      lastSuccessAt: r.last_success_at,
      lastError: r.last_error,
      lastErrorAt: r.last_error_at,
    }));
  }

  async deadLetters(selection: DeadLetterSelection, limit: number): Promise<DeadLetter[]> {
    const { where, params } = deadWhere(selection);
    return this.prepare<unknown[], DeadLetter>(
      `SELECT sink, event_id AS eventId, attempts, last_error AS lastError, dead_at AS deadAt
         FROM portcall_outbox WHERE ${where} ORDER BY dead_at, sink, event_id LIMIT ?`,
    ).all(...params, limit);
  }

  async retryDead(selection: DeadLetterSelection): Promise<number> {
    const { where, params } = deadWhere(selection);
    const now = new Date().toISOString();
    return this.write(
      () =>
        this.prepare(
          `UPDATE portcall_outbox SET dead_at = NULL, attempts = 0, next_attempt_at = ? WHERE ${where}`,
        ).run(now, ...params).changes,
    );
  }

  /** Called by the store that opened the connection. */
  close(): void {
    this.db.close();
  }

  /** One IMMEDIATE transaction; on SQLITE_BUSY, an asynchronous pause and another try. */
  private write<T>(run: () => T): Promise<T> {
    return writeRetrying(this.db, run);
  }
}

/**
 * One IMMEDIATE transaction; on SQLITE_BUSY, an asynchronous pause and another try, so a
 * side connection never blocks the event loop waiting for the writer thread's lock.
 */
export async function writeRetrying<T>(db: Database.Database, run: () => T): Promise<T> {
  const transaction = db.transaction(run);
  for (let attempt = 0; ; attempt++) {
    try {
      return transaction.immediate();
    } catch (error) {
      const code = (error as { code?: string }).code;
      if ((code !== "SQLITE_BUSY" && code !== "SQLITE_LOCKED") || attempt >= 500) throw error;
      await sleep(2 + Math.random() * Math.min(50, 2 * attempt));
    }
  }
}

/** The rows before the first one that is not due yet (waiting out a backoff, or leased). */
function duePrefix<T extends { next_attempt_at: string; attempts: number }>(
  rows: readonly T[],
  now: string,
): T[] {
  // A head that failed before is retried alone, so the rows behind it spend no attempts.
  const head = rows[0];
  if (head === undefined) return [];
  if (head.attempts > 0) return head.next_attempt_at <= now ? [head] : [];
  const end = rows.findIndex((r) => r.next_attempt_at > now);
  return end === -1 ? [...rows] : rows.slice(0, end);
}

function deadWhere(selection: DeadLetterSelection): { where: string; params: string[] } {
  const clauses = ["dead_at IS NOT NULL"];
  const params: string[] = [];
  if (selection.sink !== undefined) {
    clauses.push("sink = ?");
    params.push(selection.sink);
  }
  if (selection.eventIds !== undefined) {
    clauses.push(`event_id IN (${selection.eventIds.map(() => "?").join(", ") || "NULL"})`);
    params.push(...selection.eventIds);
  }
  return { where: clauses.join(" AND "), params };
}
