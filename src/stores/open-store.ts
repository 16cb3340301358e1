import { resolve } from "node:path";
import { ConfigError, redactUrl } from "../config/env.js";
import type { PostgresStoreOptions } from "./postgres/postgres-store.js";
import type { CommitObserver, EventStore } from "./store.js";

/** PostgreSQL pool and batching settings (PORTCALL_PG_*); a type import, so pg never loads here. */
export type PostgresTuning = Partial<
  Pick<
    PostgresStoreOptions,
    "poolMax" | "connectTimeoutMs" | "statementTimeoutMs" | "maxBatch" | "commitsInFlight"
  >
>;

export interface OpenStoreOptions {
  readonly databaseUrl: string;
  readonly observer?: CommitObserver;
  /** PostgreSQL schema holding portcall's tables (PORTCALL_DB_SCHEMA). */
  readonly pgSchema?: string;
  readonly pgOptions?: PostgresTuning;
}

export type StoreLocation =
  | { readonly dialect: "sqlite"; readonly filename: string }
  | { readonly dialect: "postgres"; readonly connectionString: string };

/**
 * `sqlite:<path>` (relative to the working folder, or `sqlite:///abs/path`) or
 * `postgres://…` / `postgresql://…`. Throws a message naming DATABASE_URL otherwise.
 */
export function parseDatabaseUrl(url: string): StoreLocation {
  if (url.startsWith("sqlite:")) {
    let path = url.slice("sqlite:".length);
    if (path.startsWith("//")) path = path.slice(2);
    if (path === "" || path === ":memory:") {
      throw new ConfigError([`DATABASE_URL: "${url}" needs a file path, e.g. sqlite:./data/portcall.db`]);
    }
    return { dialect: "sqlite", filename: resolve(path) };
  }
  if (url.startsWith("postgres://") || url.startsWith("postgresql://")) {
    return { dialect: "postgres", connectionString: url };
  }
  throw new ConfigError([
    `DATABASE_URL: unsupported scheme in "${redactUrl(url)}"; use sqlite:<path> or postgres://user@host/db`,
  ]);
}

/** Opens the store a DATABASE_URL names. Drivers load lazily: SQLite users never load pg. */
export async function openStore(options: OpenStoreOptions): Promise<EventStore> {
  const location = parseDatabaseUrl(options.databaseUrl);
  if (location.dialect === "sqlite") {
    const { SqliteStore } = await import("./sqlite/sqlite-store.js");
    return new SqliteStore({
      filename: location.filename,
      ...(options.observer ? { observer: options.observer } : {}),
    });
  }
  const { PostgresStore } = await import("./postgres/postgres-store.js");
  return new PostgresStore({
    connectionString: location.connectionString,
    schema: options.pgSchema ?? "public",
    ...(options.observer ? { observer: options.observer } : {}),
    ...options.pgOptions,
  });
}
