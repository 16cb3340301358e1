import { parentPort, workerData } from "node:worker_threads";
import { openSqlite } from "./sqlite-connection.js";
import type { WriterData } from "./sqlite-protocol.js";

// Copies the WAL back into the database file from its own thread and connection. SQLite's
// automatic checkpoint runs inside a committing transaction, so every few megabytes one
// delivery would wait for a whole checkpoint and its fsync; a PASSIVE checkpoint here runs
// beside the writer without blocking it. Durability does not depend on it: every commit
// has already fsync'd the WAL.

const { filename, busyTimeoutMs, intervalMs } = workerData as WriterData & { intervalMs: number };
const db = openSqlite(filename, busyTimeoutMs);

const timer = setInterval(() => {
  try {
    db.pragma("wal_checkpoint(PASSIVE)");
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
