import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { Worker } from "node:worker_threads";
import type Database from "better-sqlite3";
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
import { toQuarantineWrite, toRecordWrite, type Write, type WriteResult } from "../writes.js";
import { openSqlite } from "./sqlite-connection.js";
import type { WriterData, WriterReply, WriterRequest } from "./sqlite-protocol.js";

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

const EVENT_COLUMNS = `id, type, occurred_at, created_at, received_at, last_received_at, deliveries,
  signature_alg, payload_sha256, source`;
const REJECT_COLUMNS = `payload_sha256, reason, detail, event_id, signature_alg, received_at,
  last_received_at, deliveries, length(payload) AS bytes`;

/**
 * The embedded default store. Reads run on the calling thread; writes go to one writer
 * thread that group-commits them, so an fsync never blocks the event loop.
 */
export class SqliteStore implements EventStore {
  readonly dialect = "sqlite";
  private readonly db: Database.Database;
  private readonly committer: GroupCommitter<Write, WriteResult>;
  private worker: Worker | undefined;
  private checkpointer: Worker | undefined;
  private seq = 0;
  private readonly waiting = new Map<number, (reply: WriterReply | Error) => void>();
  private closed = false;

  constructor(private readonly options: SqliteStoreOptions) {
    if (options.filename !== ":memory:") mkdirSync(dirname(options.filename), { recursive: true });
    this.db = openSqlite(options.filename, this.busyTimeoutMs);
    this.committer = new GroupCommitter((writes) => this.commit(writes), options.maxBatch ?? 512);
  }

  private get busyTimeoutMs(): number {
    return this.options.busyTimeoutMs ?? 2000;
  }

  async migrate(): Promise<MigrationResult[]> {
    const db = this.db;
    db.exec(`CREATE TABLE IF NOT EXISTS portcall_migrations (
      version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`);
    const files = loadMigrations("sqlite");
    // BEGIN IMMEDIATE takes the write lock, so two processes starting at once apply each
    // migration exactly once: the second waits, then sees it recorded.
    const run = db.transaction(() => {
      const done = new Set(
        db
          .prepare<[], { version: number }>("SELECT version FROM portcall_migrations")
          .all()
          .map((r) => r.version),
      );
      return files.map((file) => {
        if (done.has(file.version)) return { version: file.version, name: file.name, applied: false };
        db.exec(file.sql);
        db.prepare("INSERT INTO portcall_migrations (version, name, applied_at) VALUES (?, ?, ?)").run(
          file.version,
          file.name,
          new Date().toISOString(),
        );
        return { version: file.version, name: file.name, applied: true };
      });
    });
    return run.immediate();
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
    this.db.prepare("SELECT 1").get();
    const reply = await this.request({ seq: this.nextSeq(), kind: "ping" });
    if (reply.kind === "error") throw new Error(reply.error);
  }

  async listEvents(query: EventQuery): Promise<EventSummary[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (query.type !== undefined) {
      where.push("type = ?");
      params.push(query.type);
    }
    if (query.since !== undefined) {
      where.push("received_at >= ?");
      params.push(query.since);
    }
    const sql = `SELECT ${EVENT_COLUMNS} FROM flexport_events
      ${where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""}
      ORDER BY received_at DESC, id DESC LIMIT ?`;
    return this.db.prepare<unknown[], EventSummary>(sql).all(...params, query.limit ?? -1);
  }

  async getEvent(id: string): Promise<StoredEvent | undefined> {
    return this.db
      .prepare<[string], StoredEvent>(`SELECT ${EVENT_COLUMNS}, payload FROM flexport_events WHERE id = ?`)
      .get(id);
  }

  async listRejects(query: { readonly limit?: number | undefined }): Promise<RejectSummary[]> {
    return this.db
      .prepare<[number], RejectSummary>(
        `SELECT ${REJECT_COLUMNS} FROM flexport_rejects ORDER BY received_at DESC, payload_sha256 LIMIT ?`,
      )
      .all(query.limit ?? -1);
  }

  async getReject(payloadSha256: string): Promise<StoredReject | undefined> {
    return this.db
      .prepare<[string], StoredReject>(
        `SELECT ${REJECT_COLUMNS}, payload FROM flexport_rejects WHERE payload_sha256 = ?`,
      )
      .get(payloadSha256);
  }

  /** The underlying read connection, for the views and reports built on this store. */
  get database(): Database.Database {
    return this.db;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.committer.drain();
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
    this.db.close();
  }

  private async write(write: Write): Promise<string> {
    if (this.closed) throw new Error("store is closed");
    const result = await this.committer.submit(write);
    if (!result.ok) throw new Error(result.error);
    return result.outcome;
  }

  private async commit(writes: Write[]): Promise<WriteResult[]> {
    this.ensureCheckpointer();
    const started = performance.now();
    let ok = false;
    try {
      const reply = await this.request({ seq: this.nextSeq(), kind: "batch", writes });
      if (reply.kind === "error") throw new Error(reply.error);
      if (reply.kind !== "batch") throw new Error(`unexpected writer reply ${reply.kind}`);
      ok = reply.results.every((r) => r.ok);
      return reply.results;
    } finally {
      this.options.observer?.committed(writes.length, (performance.now() - started) / 1000, ok);
    }
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
