import Database from "better-sqlite3";

/**
 * Opens a connection with the settings every portcall connection needs. WAL lets readers
 * (the CLI, /readyz) run beside the writer; synchronous=FULL makes each commit fsync the
 * WAL, which is what lets us answer 2xx only for durable events. When the WAL restarts after
 * a burst, whichever connection restarts it cuts the file back to WAL_SIZE_LIMIT_BYTES.
 */
export const WAL_SIZE_LIMIT_BYTES = 16 * 1024 * 1024;

export interface SqliteConnectionOptions {
  /** How long a statement waits for another connection's lock; 0 fails at once with SQLITE_BUSY. */
  readonly busyTimeoutMs: number;
  /** FULL (the default) fsyncs every commit; NORMAL only for bookkeeping that may be lost. */
  readonly synchronous?: "FULL" | "NORMAL";
}

export function openSqlite(filename: string, options: SqliteConnectionOptions): Database.Database {
  const db = new Database(filename);
  db.pragma(`busy_timeout = ${Math.trunc(options.busyTimeoutMs)}`);
  db.pragma("journal_mode = WAL");
  db.pragma(`synchronous = ${options.synchronous ?? "FULL"}`);
  db.pragma("foreign_keys = ON");
  db.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`);
  return db;
}

/**
 * `db.prepare`, remembered by SQL text: the outbox and the alert log run the same few
 * statements for every event they claim, and preparing (parsing and planning) each anew
 * showed in the receiver's profile. Bounded, for the few statements built per call.
 */
export function cachedPrepare(db: Database.Database): Database.Database["prepare"] {
  const cache = new Map<string, Database.Statement>();
  return ((sql: string) => {
    let statement = cache.get(sql);
    if (statement === undefined) {
      if (cache.size >= MAX_CACHED_STATEMENTS) cache.clear();
      statement = db.prepare(sql);
      cache.set(sql, statement);
    }
    return statement;
  }) as Database.Database["prepare"];
}

const MAX_CACHED_STATEMENTS = 64;
