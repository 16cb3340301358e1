import { readdirSync, readFileSync } from "node:fs";
import { packagePath } from "../paths.js";
import type { MigrationResult } from "./store.js";

export interface MigrationFile {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/**
 * What a dialect supplies to the migrator: its SQL folder and a lock. Inside `locked`, the
 * session is the only migrator of this database (or schema), in one transaction that commits
 * when `run` resolves and rolls back when it throws.
 */
export interface MigrationLock {
  readonly dialect: "sqlite" | "postgres";
  locked<T>(run: (session: MigrationSession) => Promise<T>): Promise<T>;
}

/** The three statements the migrator needs, in the dialect's own SQL. */
export interface MigrationSession {
  /** Versions recorded in portcall_migrations (created when missing). */
  appliedVersions(): Promise<ReadonlySet<number>>;
  /** Runs the file's SQL and records its version. */
  apply(file: MigrationFile): Promise<void>;
}

/** Reads `sql/<dialect>/NNN_name.sql` in version order. SQL lives in files people can read. */
export function loadMigrations(dialect: "sqlite" | "postgres"): MigrationFile[] {
  const dir = packagePath("sql", dialect);
  return readdirSync(dir)
    .map((file) => /^(\d+)_(.+)\.sql$/.exec(file))
    .filter((match): match is RegExpExecArray => match !== null)
    .map((match) => ({
      version: Number(match[1]),
      name: match[2] ?? "",
      sql: readFileSync(`${dir}/${match[0]}`, "utf8"),
    }))
    .sort((a, b) => a.version - b.version);
}

/**
 * Applies the pending migrations under the dialect's lock, so receivers starting together
 * apply each one exactly once: the others wait, then find it recorded. One result per file.
 */
export function migrate(lock: MigrationLock): Promise<MigrationResult[]> {
  const files = loadMigrations(lock.dialect);
  return lock.locked(async (session) => {
    const done = await session.appliedVersions();
    const results: MigrationResult[] = [];
    for (const file of files) {
      const applied = !done.has(file.version);
      if (applied) await session.apply(file);
      results.push({ version: file.version, name: file.name, applied });
    }
    return results;
  });
}
