import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { openStore } from "../../src/stores/open-store.js";
import { PostgresStore } from "../../src/stores/postgres/postgres-store.js";
import { SqliteStore } from "../../src/stores/sqlite/sqlite-store.js";
import type { EventStore } from "../../src/stores/store.js";

/** The PostgreSQL the tests use; trust auth on loopback by default. */
export const TEST_PG_URL =
  process.env.PORTCALL_TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

export interface StoreTarget {
  readonly name: "sqlite" | "postgres";
  /** Why this target is skipped here, or undefined when it runs. */
  readonly skip: string | undefined;
  /** A fresh, empty installation: its own file or its own schema. */
  create(): Promise<TestStore>;
}

export interface TestStore {
  readonly databaseUrl: string;
  /** Environment a portcall process needs to reach the same installation. */
  readonly env: Record<string, string>;
  open(): Promise<EventStore>;
  /** Removes the installation (PostgreSQL: drops the schema). */
  destroy(): Promise<void>;
}

let pgReachable: Promise<string | undefined> | undefined;

/** undefined when PostgreSQL answers; otherwise why not. */
export function postgresUnavailable(): Promise<string | undefined> {
  pgReachable ??= (async () => {
    const client = new pg.Client({ connectionString: TEST_PG_URL, connectionTimeoutMillis: 2000 });
    try {
      await client.connect();
      await client.query("SELECT 1");
      return undefined;
    } catch (error) {
      return `PostgreSQL at ${TEST_PG_URL} is unreachable (${error instanceof Error ? error.message : error})`;
    } finally {
      await client.end().catch(() => undefined);
    }
  })();
  return pgReachable;
}

/**
 * Both stores, for suites that must hold for each. PostgreSQL is skipped with a clear
 * message when unreachable, except under CI=true, where an unreachable database must fail
 * the run rather than quietly test less.
 */
export async function storeTargets(): Promise<StoreTarget[]> {
  const pgProblem = await postgresUnavailable();
  const inCi = process.env.CI === "true";
  return [
    { name: "sqlite", skip: undefined, create: async () => createSqlite() },
    {
      name: "postgres",
      skip: pgProblem !== undefined && !inCi ? `skipped: ${pgProblem}` : undefined,
      create: async () => {
        if (pgProblem !== undefined) throw new Error(`CI=true requires PostgreSQL: ${pgProblem}`);
        return createPostgres();
      },
    },
  ];
}

function createSqlite(): TestStore {
  const dir = mkdtempSync(join(tmpdir(), "portcall-test-"));
  const databaseUrl = `sqlite:${dir}/portcall.db`;
  return {
    databaseUrl,
    env: { DATABASE_URL: databaseUrl },
    open: () => openStore({ databaseUrl }),
    destroy: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

async function createPostgres(): Promise<TestStore> {
  const schema = `portcall_test_${process.pid}_${randomBytes(4).toString("hex")}`;
  return {
    databaseUrl: TEST_PG_URL,
    env: { DATABASE_URL: TEST_PG_URL, PORTCALL_DB_SCHEMA: schema },
    open: () => openStore({ databaseUrl: TEST_PG_URL, pgSchema: schema }),
    destroy: async () => {
      const client = new pg.Client({ connectionString: TEST_PG_URL });
      await client.connect();
      try {
        await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      } finally {
        await client.end();
      }
    },
  };
}

/** Rows of a raw SQL query on either dialect (`pgSuffix` is appended for PostgreSQL only). */
export async function sqlRows<Row>(store: EventStore, sql: string, pgSuffix = ""): Promise<Row[]> {
  if (store instanceof SqliteStore) return store.database.prepare<[], Row>(sql).all();
  if (store instanceof PostgresStore) return (await store.database.query(`${sql}${pgSuffix}`)).rows as Row[];
  throw new Error(`sqlRows: unknown store ${store.dialect}`);
}
