import { parentPort, workerData } from "node:worker_threads";
import { openSqlite } from "./sqlite-connection.js";
import type { WriterData } from "./sqlite-protocol.js";

// Copies the WAL back into the database file from its own thread and connection. SQLite's
// automatic checkpoint runs inside a committing transaction, so every few megabytes one
// delivery would wait for a whole checkpoint and its fsync; a PASSIVE checkpoint here runs
// beside the writer without blocking it. Durability does not depend on it: every commit
// has already fsync'd the WAL.
//
// A PASSIVE checkpoint alone never rewinds the WAL while deliveries keep arriving: SQLite
// restarts the log only when a writer begins just as a checkpoint has finished, which under
// sustained load is almost never, so the file grew by hundreds of megabytes a minute. Once
// the log is past RESTART_FRAMES and a quick pass has copied all of it, this thread asks the
// writer (through a shared flag) to run a RESTART checkpoint between two batches: as the only
// writer it finds no transaction to wait for there, the RESTART copies only what the last
// batches added, and it gives up at once, rather than block deliveries, when a reader still
// needs the old log.
// Overwriting blocks the file already has is also cheaper to fsync than growing it: ext4
// need not journal a new size and new blocks on every commit.

const { filename, busyTimeoutMs, intervalMs, restartWal } = workerData as WriterData & {
  intervalMs: number;
};
const db = openSqlite(filename, { busyTimeoutMs });
const restartRequested = new Int32Array(restartWal);

/** ~4 MiB of 4 KiB pages: large enough that restarts are rare, small enough to stay cached. */
const RESTART_FRAMES = 1024;

interface CheckpointResult {
  readonly busy: number;
  readonly log: number;
  readonly checkpointed: number;
}

/**
 * A pass this quick leaves the RESTART only what the writer appended meanwhile to copy,
 * under the write lock. After a burst or a long reader, one pass may copy tens of megabytes
 * while deliveries keep appending, so passes repeat (each shorter) until one is quick.
 */
const QUICK_PASS_MS = 10;
const MAX_PASSES_PER_TICK = 4;

function checkpointPasses(): void {
  for (let pass = 0; pass < MAX_PASSES_PER_TICK; pass++) {
    const started = performance.now();
    const result = (db.pragma("wal_checkpoint(PASSIVE)") as CheckpointResult[])[0];
    // Incomplete: a reader still needs frames from before this pass, so a restart would fail.
    if (result === undefined || result.log < RESTART_FRAMES || result.checkpointed !== result.log) return;
    if (performance.now() - started <= QUICK_PASS_MS) {
      Atomics.store(restartRequested, 0, 1);
      return;
    }
  }
}

const timer = setInterval(() => {
  try {
    checkpointPasses();
  } catch {
    // A busy or failing checkpoint is retried on the next tick; the writer is unaffected.
  }
}, intervalMs);

parentPort?.on("message", (message: { kind: string }) => {
  if (message.kind !== "close") return;
  clearInterval(timer);
  db.close();
  parentPort?.close();
});
