import type Database from "better-sqlite3";
import type { MigrationLock } from "../migrator.js";

/**
 * BEGIN IMMEDIATE takes SQLite's write lock, so of two processes starting at once the
 * second waits (busy_timeout), then sees every migration recorded. The session's work is
 * synchronous; only the migrator's bookkeeping awaits between statements.
 */
export function sqliteMigrationLock(db: Database.Database): MigrationLock {
  return {
    dialect: "sqlite",
    async locked(run) {
      db.exec(`CREATE TABLE IF NOT EXISTS portcall_migrations (
        version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`);
      db.exec("BEGIN IMMEDIATE");
      try {
        const result = await run({
          async appliedVersions() {
            const rows = db.prepare<[], { version: number }>("SELECT version FROM portcall_migrations").all();
            return new Set(rows.map((r) => r.version));
          },
          async apply(file) {
            db.exec(file.sql);
            db.prepare("INSERT INTO portcall_migrations (version, name, applied_at) VALUES (?, ?, ?)").run(
              file.version,
              file.name,
              new Date().toISOString(),
            );
          },
        });
        db.exec("COMMIT");
        return result;
      } catch (error) {
        if (db.inTransaction) db.exec("ROLLBACK");
        throw error;
      }
    },
  };
}
