import { existsSync } from "node:fs";
import { type Config, loadConfig } from "../config/config.js";
import { ConfigError, type Env } from "../config/env.js";
import { loadMigrations } from "../stores/migrator.js";
import { openStore, parseDatabaseUrl } from "../stores/open-store.js";
import { explainPostgresError } from "../stores/postgres/postgres-errors.js";
import type { EventStore } from "../stores/store.js";
import { TimeBoundError } from "../time-bounds.js";

/** Raised for a mistake in how a command was called; main prints it without a stack. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** What every command gets from the entry point: the environment, read there and only there. */
export interface CliContext {
  readonly env: Env;
  /** The validated configuration (throws ConfigError naming each bad variable). */
  config(): Config;
  /**
   * For commands that only read: opens the configured store, checks it holds portcall's
   * current schema, runs, closes. Creates nothing (no file, folder, schema or table): a
   * missing or outdated database is a ConfigError naming the variable to check.
   */
  withStore<T>(run: (store: EventStore, config: Config) => Promise<T>): Promise<T>;
  /** For commands that write events (replay, backfill): the store migrated first, as serve does. */
  withWritableStore<T>(run: (store: EventStore, config: Config) => Promise<T>): Promise<T>;
}

export function createCliContext(env: Env): CliContext {
  const config = () => loadConfig(env);
  const using =
    (prepare: (store: EventStore, config: Config) => Promise<unknown>) =>
    async <T>(run: (store: EventStore, config: Config) => Promise<T>): Promise<T> => {
      const loaded = config();
      if (prepare === requireSchema) requireSqliteFile(loaded);
      const store = await openConfiguredStore(loaded);
      try {
        await prepare(store, loaded);
        return await run(store, loaded);
      } catch (error) {
        throw explainStoreError(error, loaded);
      } finally {
        await store.close();
      }
    };
  return {
    env,
    config,
    withStore: using(requireSchema),
    withWritableStore: using((store) => store.migrate()),
  };
}

export async function openConfiguredStore(config: Config): Promise<EventStore> {
  return openStore({
    databaseUrl: config.databaseUrl,
    pgSchema: config.pgSchema,
    pgOptions: {
      poolMax: Math.min(config.pgPoolMax, 4),
      connectTimeoutMs: config.pgConnectTimeoutMs,
      statementTimeoutMs: config.pgStatementTimeoutMs,
    },
  });
}

/** A database failure in terms of the variables to check (PostgreSQL), else the error itself. */
export function explainStoreError(error: unknown, config: Config): unknown {
  if (error instanceof ConfigError || error instanceof UsageError) return error;
  const location = parseDatabaseUrl(config.databaseUrl);
  if (location.dialect !== "postgres") return error;
  return explainPostgresError(error, location.connectionString, config.pgSchema) ?? error;
}

/** Opening a SQLite file creates it (and serve creates its folder): a reader must not. */
function requireSqliteFile(config: Config): void {
  const location = parseDatabaseUrl(config.databaseUrl);
  if (location.dialect === "sqlite" && !existsSync(location.filename)) {
    throw new ConfigError([
      `DATABASE_URL: no portcall database at ${location.filename}; check DATABASE_URL (or PORTCALL_DATA_DIR), or create it with portcall migrate`,
    ]);
  }
}

async function requireSchema(store: EventStore, config: Config): Promise<void> {
  const applied = await store.appliedMigrations();
  const where =
    store.dialect === "sqlite"
      ? `DATABASE_URL: no portcall tables in ${config.databaseUrl}`
      : `PORTCALL_DB_SCHEMA: no portcall tables in schema "${config.pgSchema}" of DATABASE_URL`;
  if (applied === undefined) {
    throw new ConfigError([`${where}; check the variable, or create them with portcall migrate`]);
  }
  const pending = loadMigrations(store.dialect).filter((m) => !applied.has(m.version));
  if (pending.length > 0) {
    throw new ConfigError([
      `the database is behind this version of portcall (not applied: ${pending.map((m) => `${m.version}_${m.name}`).join(", ")}); run portcall migrate`,
    ]);
  }
}

/** Runs a parse of `--since` / `--until` (see time-bounds.ts), its mistakes as usage errors. */
export function timeOptions<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof TimeBoundError) throw new UsageError(error.message);
    throw error;
  }
}

export function positiveIntOption(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < 1)
    throw new UsageError(`${name}: "${value}" is not a positive whole number`);
  return Number(value);
}

export function nonNegativeIntOption(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new UsageError(`${name}: "${value}" is not a whole number`);
  return Number(value);
}
