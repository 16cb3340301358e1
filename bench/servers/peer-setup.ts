import Database from "better-sqlite3";

/**
 * What the two SQLite peers share, so they differ only in how they commit: the settings from
 * the environment, and one events table in WAL mode with synchronous=FULL (every commit
 * fsyncs the WAL, as portcall's do).
 */
export function peerSetup() {
  const port = Number(process.env.PORT ?? 0);
  const host = process.env.HOST ?? "127.0.0.1";
  const secret = process.env.FLEXPORT_WEBHOOK_SECRET;
  const file = process.env.BENCH_DB;
  if (!secret || !file) throw new Error("FLEXPORT_WEBHOOK_SECRET and BENCH_DB must be set");
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = FULL");
  db.exec(`CREATE TABLE IF NOT EXISTS events (
    id TEXT PRIMARY KEY, type TEXT NOT NULL, payload TEXT NOT NULL, received_at TEXT NOT NULL)`);
  const insert = db.prepare<[string, string, string, string]>(
    "INSERT OR IGNORE INTO events (id, type, payload, received_at) VALUES (?, ?, ?, ?)",
  );
  return { port, host, secret, db, insert };
}
