import { type Config, loadConfig } from "../config/config.js";
import type { Env } from "../config/env.js";
import { openStore } from "../stores/open-store.js";
import type { EventStore } from "../stores/store.js";

/** Raised for a mistake in how a command was called; main prints it without a stack. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** What every command gets from the entry point: the environment, read there and only there. */
export interface CliContext {
  readonly env: Env;
  /** The validated configuration (throws ConfigError naming each bad variable). */
  config(): Config;
  /** Opens the configured store (migrated, so a first command on a new database works), runs, closes. */
  withStore<T>(run: (store: EventStore, config: Config) => Promise<T>): Promise<T>;
}

export function createCliContext(env: Env): CliContext {
  const config = () => loadConfig(env);
  return {
    env,
    config,
    async withStore(run) {
      const loaded = config();
      const store = await openConfiguredStore(loaded);
      try {
        await store.migrate();
        return await run(store, loaded);
      } finally {
        await store.close();
      }
    },
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

/** Parses an ISO-8601 date or timestamp option into a normalised UTC timestamp. */
export function isoOption(name: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new UsageError(`${name}: "${value}" is not an ISO-8601 date or time`);
  return new Date(ms).toISOString();
}

export function positiveIntOption(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < 1)
    throw new UsageError(`${name}: "${value}" is not a positive whole number`);
  return Number(value);
}
