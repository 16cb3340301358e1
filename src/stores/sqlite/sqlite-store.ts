import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { Worker } from "node:worker_threads";
import type Database from "better-sqlite3";
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
import type { CatchUpOptions, ShipmentReports } from "../reports.js";
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
import type { BackgroundCatchUp } from "../summary-sql.js";
import type { Write, WriteResult } from "../writes.js";
import { SqliteAlertLog } from "./sqlite-alert-log.js";
import { openSqlite } from "./sqlite-connection.js";
import { sqliteMigrationLock } from "./sqlite-migration-lock.js";
import { SqliteOutbox } from "./sqlite-outbox.js";
import type { WriterData, WriterReply, WriterRequest } from "./sqlite-protocol.js";
import { createSqliteReports } from "./sqlite-reports.js";

export interface SqliteStoreOptions {
  /** Path of the database file; its folder is created when missing. */
  readonly filename: string;
  /** Most writes committed in one transaction. */
  readonly maxBatch?: number;
  /** How long a writer waits for another process's lock before the delivery gets 503. */
  readonly busyTimeoutMs?: number;
  /** How long a request to the writer thread may take before it counts as failed. */
  readonly writerTimeoutMs?: number;
  readonly observer?: CommitObserver;
}

/**
 * The embedded default store. Reads run on the calling thread; writes go to one writer
 * thread that group-commits them, so an fsync never blocks the event loop.
 */
export class SqliteStore extends GroupCommitStore implements EventStore {
  readonly dialect = "sqlite";
  private readonly db: Database.Database;
  private worker: Worker | undefined;
  private checkpointer: Worker | undefined;
  private openedOutbox: SqliteOutbox | undefined;
  private openedAlertLog: SqliteAlertLog | undefined;
  private side: Database.Database | undefined;
  private seq = 0;
  private readonly waiting = new Map<number, (reply: WriterReply | Error) => void>();
  /** The background catch-ups the writer thread folds summaries for; their failures go to each. */
  private readonly catchUps = new Set<{ readonly onError: (error: unknown) => void }>();

  constructor(private readonly options: SqliteStoreOptions) {
    super({ maxBatch: options.maxBatch ?? 512, observer: options.observer });
    if (options.filename !== ":memory:") mkdirSync(dirname(options.filename), { recursive: true });
    this.db = openSqlite(options.filename, { busyTimeoutMs: this.busyTimeoutMs });
  }

  private get busyTimeoutMs(): number {
    return this.options.busyTimeoutMs ?? 2000;
  }

  migrate(): Promise<MigrationResult[]> {
    return migrate(sqliteMigrationLock(this.db));
  }

  async appliedMigrations(): Promise<ReadonlySet<number> | undefined> {
    const table = this.db
      .prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'portcall_migrations'")
      .get();
    if (table === undefined) return undefined;
    const rows = this.db.prepare<[], { version: number }>("SELECT version FROM portcall_migrations").all();
    return new Set(rows.map((r) => r.version));
  }

  async ping(): Promise<void> {
    this.db.prepare("SELECT 1").get();
    const reply = await this.request({ seq: this.nextSeq(), kind: "ping" });
    if (reply.kind === "error") throw new Error(reply.error);
  }

  async listEvents(query: EventQuery): Promise<EventSummary[]> {
    const { sql, params } = listEventsSql(query, () => "?", -1);
    return this.db.prepare<unknown[], EventSummary>(sql).all(...params);
  }

  async countEvents(query: EventQuery): Promise<number> {
    const { sql, params } = countEventsSql(query, () => "?");
    return this.db.prepare<unknown[], { n: number }>(sql).get(...params)?.n ?? 0;
  }

  async rejectHashesStartingWith(prefix: string, limit: number): Promise<string[]> {
    return this.db
      .prepare<[string, string, number], { payload_sha256: string }>(REJECT_PREFIX_SQL(() => "?"))
      .all(...hexPrefixRange(prefix), limit)
      .map((r) => r.payload_sha256);
  }

  async getEvent(id: string): Promise<StoredEvent | undefined> {
    return this.db
      .prepare<[string], StoredEvent>(`SELECT ${EVENT_COLUMNS}, payload FROM flexport_events WHERE id = ?`)
      .get(id);
  }

  async listRejects(query: RejectQuery): Promise<RejectSummary[]> {
    return this.db
      .prepare<[string | null, string | null, number], RejectSummary>(
        `SELECT ${REJECT_COLUMNS}, length(payload) AS bytes FROM flexport_rejects
         WHERE (? IS NULL OR source_name = ?) ORDER BY received_at DESC, payload_sha256 LIMIT ?`,
      )
      .all(query.source ?? null, query.source ?? null, query.limit ?? -1);
  }

  async getReject(payloadSha256: string): Promise<StoredReject | undefined> {
    return this.db
      .prepare<[string], StoredReject>(
        `SELECT ${REJECT_COLUMNS}, length(payload) AS bytes, payload FROM flexport_rejects WHERE payload_sha256 = ?`,
      )
      .get(payloadSha256);
  }

  /**
   * The outbox gets a connection of its own, opened here and closed with the store: it must
   * never wait inside SQLite for the writer thread's lock (busy_timeout = 0, see SqliteOutbox),
   * and its bookkeeping needs no fsync per commit.
   */
  outbox(): Outbox {
    this.openedOutbox ??= new SqliteOutbox(this.sideConnection());
    return this.openedOutbox;
  }

  /** The alert log shares the outbox's connection and its rules. */
  alertLog(): AlertLog {
    this.openedAlertLog ??= new SqliteAlertLog(this.sideConnection());
    return this.openedAlertLog;
  }

  private sideConnection(): Database.Database {
    this.side ??= openSqlite(this.options.filename, { busyTimeoutMs: 0, synchronous: "NORMAL" });
    return this.side;
  }

  /** The read connection, typed, for checks that need SQLite itself (integrity_check, counts). */
  get database(): Database.Database {
    return this.db;
  }

  /** Reports read the views on the store's read connection; their catch-up runs on the writer thread. */
  reports(): ShipmentReports {
    return createSqliteReports(this.db, (options) => this.foldSummariesInWriter(options));
  }

  /**
   * The writer folds the dashboard's summaries between batches, so the receiver's event loop
   * never runs a fold and no second connection competes with deliveries for the write lock.
   */
  private foldSummariesInWriter(options: CatchUpOptions): BackgroundCatchUp {
    // Several dashboards (apps, tests) may share one store: the writer folds while any wants it.
    const handle = { onError: options.onError };
    this.catchUps.add(handle);
    const toggle = (enabled: boolean) =>
      this.request({ seq: this.nextSeq(), kind: "summaries", enabled }).then((reply) => {
        if (reply.kind === "error") throw new Error(reply.error);
      });
    if (this.catchUps.size === 1) toggle(true).catch(options.onError);
    return {
      stop: async () => {
        if (!this.catchUps.delete(handle) || this.catchUps.size > 0) return;
        if (this.worker !== undefined) await toggle(false).catch(() => undefined);
      },
    };
  }

  protected async release(): Promise<void> {
    const worker = this.worker;
    if (worker !== undefined) {
      await this.request({ seq: this.nextSeq(), kind: "close" }).catch(() => undefined);
      await worker.terminate();
      this.worker = undefined;
    }
    const checkpointer = this.checkpointer;
    if (checkpointer !== undefined) {
      this.checkpointer = undefined;
      const exited = new Promise((resolve) => checkpointer.once("exit", resolve));
      checkpointer.postMessage({ kind: "close" });
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 1000))]);
      await checkpointer.terminate();
    }
    this.side?.close();
    this.db.close();
  }

  protected async commitBatch(writes: Write[]): Promise<WriteResult[]> {
    this.ensureCheckpointer();
    const reply = await this.request({ seq: this.nextSeq(), kind: "batch", writes });
    if (reply.kind === "error") throw new Error(reply.error);
    if (reply.kind !== "batch") throw new Error(`unexpected writer reply ${reply.kind}`);
    return reply.results;
  }

  private nextSeq(): number {
    this.seq = (this.seq + 1) % Number.MAX_SAFE_INTEGER;
    return this.seq;
  }

  private request(request: WriterRequest): Promise<WriterReply> {
    const worker = this.ensureWorker();
    return new Promise((resolve, reject) => {
      const timeout = setTimeout(() => {
        this.waiting.delete(request.seq);
        reject(new Error(`SQLite writer did not answer within ${this.writerTimeoutMs} ms`));
      }, this.writerTimeoutMs);
      this.waiting.set(request.seq, (reply) => {
        clearTimeout(timeout);
        if (reply instanceof Error) reject(reply);
        else resolve(reply);
      });
      worker.postMessage(request);
    });
  }

  private get writerTimeoutMs(): number {
    return this.options.writerTimeoutMs ?? this.busyTimeoutMs + 30_000;
  }

  private readonly restartWal = new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT);

  private get workerData(): WriterData {
    return {
      filename: this.options.filename,
      busyTimeoutMs: this.busyTimeoutMs,
      restartWal: this.restartWal,
      foldSummaries: this.catchUps.size > 0,
    };
  }

  /** Started with the first write, not at start-up, so it does not slow the first 200. */
  private ensureCheckpointer(): void {
    if (this.checkpointer !== undefined) return;
    const data = { ...this.workerData, intervalMs: 200 };
    const checkpointer = new Worker(new URL("./sqlite-checkpointer.js", import.meta.url), {
      workerData: data,
    });
    checkpointer.on("error", () => {
      if (this.checkpointer === checkpointer) this.checkpointer = undefined;
    });
    this.checkpointer = checkpointer;
  }

  private ensureWorker(): Worker {
    if (this.worker !== undefined) return this.worker;
    const worker = new Worker(new URL("./sqlite-writer.js", import.meta.url), {
      workerData: this.workerData,
    });
    worker.on("message", (reply: WriterReply) => {
      if (reply.kind === "summary_error") {
        for (const { onError } of this.catchUps) onError(new Error(`dashboard summaries: ${reply.error}`));
        return;
      }
      const settle = this.waiting.get(reply.seq);
      this.waiting.delete(reply.seq);
      settle?.(reply);
    });
    // If the writer dies, every write in flight fails (so its client gets 503 and retries)
    // and the next write starts a new writer.
    const fail = (error: Error) => {
      if (this.worker === worker) this.worker = undefined;
      for (const settle of this.waiting.values()) settle(error);
      this.waiting.clear();
    };
    worker.on("error", fail);
    worker.on("exit", (code) => fail(new Error(`SQLite writer exited with code ${code}`)));
    this.worker = worker;
    return worker;
  }
}
