import { parentPort, workerData } from "node:worker_threads";
import type Database from "better-sqlite3";
import { collectAfterLargePayload, LARGE_PAYLOAD_BYTES } from "../../large-payloads.js";
import {
  conflictDetail,
  type QuarantineWrite,
  type RecordWrite,
  type Write,
  type WriteResult,
} from "../writes.js";
import { openSqlite } from "./sqlite-connection.js";
import { createSqliteSummaryFold, type SqliteSummaryFold } from "./sqlite-dashboard-reports.js";
import type { WriterData, WriterReply, WriterRequest } from "./sqlite-protocol.js";

// The single writer of a SQLite store, on its own thread so that the fsync of one batch
// overlaps with the main thread receiving and verifying the next one.

const { filename, busyTimeoutMs, restartWal, foldSummaries } = workerData as WriterData;
const db = openSqlite(filename, { busyTimeoutMs });
const restartRequested = new Int32Array(restartWal);
// Checkpoints run on their own thread (sqlite-checkpointer.ts), never inside a commit.
db.pragma("wal_autocheckpoint = 0");
// Statement journals in memory: an insert that fires triggers needs one, and on disk it cost
// ~10 small writes per row (measured: 61 → 38 µs per replayed row). This connection only
// writes, so no large sort ever lands in memory through it.
db.pragma("temp_store = MEMORY");

// Statements are prepared on the first batch, not at start: the store starts this thread
// while it applies migrations, so the tables may not exist yet.
function prepareStatements() {
  return {
    // One statement tells new from known: an insert leaves deliveries = 1, the upsert's update
    // makes it at least 2, and RETURNING gives the first payload's hash to detect conflicts.
    upsertEvent: db.prepare<unknown[], { deliveries: number; payload_sha256: string }>(`
  INSERT INTO flexport_events (id, type, occurred_at, created_at, received_at, last_received_at,
                               deliveries, signature_alg, payload, payload_sha256, source,
                               source_name, api)
  VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (id) DO UPDATE SET deliveries = deliveries + 1,
                                 last_received_at = excluded.last_received_at
  RETURNING deliveries, payload_sha256`),

    insertEventIfAbsent: db.prepare(`
  INSERT INTO flexport_events (id, type, occurred_at, created_at, received_at, last_received_at,
                               deliveries, signature_alg, payload, payload_sha256, source,
                               source_name, api)
  VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (id) DO NOTHING`),

    upsertReject: db.prepare(`
  INSERT INTO flexport_rejects (payload_sha256, reason, detail, event_id, signature_alg,
                                received_at, last_received_at, deliveries, payload, source_name)
  VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?)
  ON CONFLICT (payload_sha256) DO UPDATE SET deliveries = deliveries + 1,
                                             last_received_at = excluded.last_received_at`),
  };
}
let prepared: ReturnType<typeof prepareStatements> | undefined;
const statements = () => {
  prepared ??= prepareStatements();
  return prepared;
};

function eventParams(w: RecordWrite): unknown[] {
  return [
    w.id,
    w.type,
    w.occurredAt,
    w.createdAt,
    w.receivedAt,
    w.receivedAt,
    w.signatureAlg,
    w.payload,
    w.payloadSha256,
    w.source,
    w.sourceName,
    w.api,
  ];
}

function quarantine(w: QuarantineWrite): void {
  statements().upsertReject.run(
    w.payloadSha256,
    w.reason,
    w.detail,
    w.eventId,
    w.signatureAlg,
    w.receivedAt,
    w.receivedAt,
    Buffer.from(w.payload.buffer, w.payload.byteOffset, w.payload.byteLength),
    w.sourceName,
  );
}

function apply(w: Write): WriteResult {
  if (w.op === "quarantine") {
    quarantine(w);
    return { ok: true, outcome: "quarantined" };
  }
  if (w.op === "insert_if_absent") {
    return {
      ok: true,
      outcome: statements().insertEventIfAbsent.run(...eventParams(w)).changes === 1 ? "inserted" : "present",
    };
  }
  const row = statements().upsertEvent.get(...eventParams(w));
  if (row === undefined) throw new Error("upsert returned no row");
  if (row.deliveries === 1) return { ok: true, outcome: "stored" };
  if (row.payload_sha256 === w.payloadSha256) return { ok: true, outcome: "duplicate" };
  // Same id, different bytes: the first bytes stay; the new ones are kept aside.
  statements().upsertReject.run(
    w.payloadSha256,
    "id_conflict",
    conflictDetail(w.id, row.payload_sha256),
    w.id,
    w.signatureAlg,
    w.receivedAt,
    w.receivedAt,
    Buffer.from(w.payload, "utf8"),
    w.sourceName,
  );
  return { ok: true, outcome: "conflict" };
}

const applyAll = (writes: Write[]): WriteResult[] => writes.map(apply);
const applyInTransaction = db.transaction(applyAll);

function commitBatch(writes: Write[]): WriteResult[] {
  try {
    return applyInTransaction.immediate(writes);
  } catch (error) {
    if (writes.length === 1) return [{ ok: false, error: messageOf(error) }];
    // Retry one by one so that a single bad write cannot fail the others with it.
    return writes.map((w) => {
      try {
        return applyInTransaction.immediate([w])[0] ?? { ok: false, error: "no result" };
      } catch (single) {
        return { ok: false, error: messageOf(single) };
      }
    });
  }
}

/**
 * Restarts the WAL when the checkpointer asks (see sqlite-checkpointer.ts), between two
 * batches. Without a busy wait: when a reader still needs the old log, or the checkpointer
 * is mid-pass, it gives up at once rather than hold up the next batch, and the checkpointer
 * asks again after its next complete pass.
 */
function restartWalIfRequested(): void {
  if (Atomics.exchange(restartRequested, 0, 0) === 0) return;
  db.pragma("busy_timeout = 0");
  try {
    db.pragma("wal_checkpoint(RESTART)");
  } catch {
    // Busy or failed: the next request retries; durability never depended on it.
  } finally {
    db.pragma(`busy_timeout = ${Math.trunc(busyTimeoutMs)}`);
  }
}

// A committed write, not just the write lock: a full disk or a read-only file only fails
// when a commit appends to the WAL, and /readyz must fail then too. Rewriting user_version
// with its own value changes nothing but costs one small WAL frame.
function probeWriteLock(database: Database.Database): void {
  const version = Number(database.pragma("user_version", { simple: true }));
  database.pragma(`user_version = ${Math.trunc(version)}`);
}

function isLarge(w: Write): boolean {
  return (w.op === "quarantine" ? w.payload.byteLength : w.payload.length) > LARGE_PAYLOAD_BYTES;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

// The dashboard's summaries (migration 006) are folded here, between batches, when the
// dashboard is on: on the receiver's event loop a fold chunk held up every delivery behind
// it (a synchronous read of payloads), and on a second connection it competed with this one
// for the write lock, whose busy handler sleeps in steps of up to 100 ms. Folding yields to
// deliveries: a slice of at most FOLD_SLICE_MS, and at most a BUSY_SHARE of this thread's
// time while batches keep coming (IDLE_SHARE once they pause), so a burst is answered first
// and summarised after. Pages fold whatever is left before they read (reports.refresh).
const FOLD_SLICE_MS = 2;
const BUSY_SHARE = 0.1;
const IDLE_SHARE = 0.5;
const IDLE_AFTER_MS = 100;
/** How often an idle writer looks for events stored by another process (a backfill, a replay). */
const FOLD_POLL_MS = 1000;
/** Small steps, so that a slice ends close to its budget. */
const FOLD_EVENTS_PER_STEP = 8;
const FOLD_SHIPMENTS_PER_STEP = 2;

let summaries: SqliteSummaryFold | undefined;
let foldTimer: NodeJS.Timeout | undefined;
let nextFoldAt = 0;
let lastBatchAt = 0;

function setFolding(enabled: boolean): void {
  clearTimeout(foldTimer);
  foldTimer = undefined;
  // Prepared on first use: the tables exist by then (the dashboard starts after migrations).
  summaries = enabled ? createSqliteSummaryFold(db, () => collectAfterLargePayload()) : undefined;
  if (enabled) scheduleFold(0);
}

function scheduleFold(delayMs: number): void {
  if (summaries === undefined || foldTimer !== undefined) return;
  foldTimer = setTimeout(foldSlice, Math.max(0, delayMs));
}

function foldSlice(): void {
  foldTimer = undefined;
  const fold = summaries;
  if (fold === undefined) return;
  const started = performance.now();
  if (started < nextFoldAt) {
    scheduleFold(nextFoldAt - started);
    return;
  }
  let caughtUp = false;
  let failed = false;
  // Summaries can be recomputed from the events, so their commits need no fsync of their
  // own: the next delivery's commit (synchronous=FULL) makes them durable with it.
  db.pragma("synchronous = NORMAL");
  try {
    while (performance.now() - started < FOLD_SLICE_MS) {
      if (fold.foldEvents(FOLD_EVENTS_PER_STEP) > 0) continue;
      if (fold.recomputeShipments(FOLD_SHIPMENTS_PER_STEP) > 0) continue;
      caughtUp = true;
      break;
    }
  } catch (error) {
    failed = true;
    port?.postMessage({ seq: 0, kind: "summary_error", error: messageOf(error) } satisfies WriterReply);
  } finally {
    db.pragma("synchronous = FULL");
  }
  const now = performance.now();
  const share = now - lastBatchAt > IDLE_AFTER_MS ? IDLE_SHARE : BUSY_SHARE;
  nextFoldAt = now + (now - started) * (1 / share - 1);
  scheduleFold(caughtUp ? FOLD_POLL_MS : failed ? FOLD_POLL_MS * 10 : nextFoldAt - now);
}

const port = parentPort;
if (port === null) throw new Error("sqlite-writer must run as a worker thread");

if (foldSummaries) setFolding(true);

port.on("message", (request: WriterRequest) => {
  let reply: WriterReply;
  try {
    switch (request.kind) {
      case "batch":
        lastBatchAt = performance.now();
        reply = { seq: request.seq, kind: "batch", results: commitBatch(request.writes) };
        port.postMessage(reply);
        // After the reply, so the deliveries of this batch are answered first.
        restartWalIfRequested();
        if (request.writes.some(isLarge)) collectAfterLargePayload();
        return;
      case "ping":
        probeWriteLock(db);
        reply = { seq: request.seq, kind: "ok" };
        break;
      case "summaries":
        setFolding(request.enabled);
        reply = { seq: request.seq, kind: "ok" };
        break;
      case "close":
        setFolding(false);
        db.close();
        port.postMessage({ seq: request.seq, kind: "ok" } satisfies WriterReply);
        port.close();
        return;
    }
  } catch (error) {
    reply = { seq: request.seq, kind: "error", error: messageOf(error) };
  }
  port.postMessage(reply);
});
