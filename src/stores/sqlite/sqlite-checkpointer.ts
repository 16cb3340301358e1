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
// the log is past RESTART_FRAMES, a RESTART checkpoint (which briefly holds the write lock,
// and copies only the few frames PASSIVE has not) makes the next commit write from the start
// of the file again. Overwriting blocks the file already has is also cheaper to fsync than
// growing it: ext4 need not journal a new size and new blocks on every commit.

const { filename, busyTimeoutMs, intervalMs } = workerData as WriterData & { intervalMs: number };
const db = openSqlite(filename, busyTimeoutMs);

/** ~4 MiB of 4 KiB pages: large enough that restarts are rare, small enough to stay cached. */
const RESTART_FRAMES = 1024;

interface CheckpointResult {
  readonly busy: number;
  readonly log: number;
  readonly checkpointed: number;
}

function checkpoint(mode: "PASSIVE" | "RESTART"): CheckpointResult | undefined {
  return (db.pragma(`wal_checkpoint(${mode})`) as CheckpointResult[])[0];
}

const timer = setInterval(() => {
  try {
    const passive = checkpoint("PASSIVE");
    if (passive !== undefined && passive.log >= RESTART_FRAMES) checkpoint("RESTART");
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
