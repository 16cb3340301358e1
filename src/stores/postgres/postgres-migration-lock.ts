import type pg from "pg";
import type { MigrationLock } from "../migrator.js";
import { inTransaction } from "./postgres-transaction.js";

/**
 * A transaction-scoped advisory lock per schema: receivers starting together queue on it,
 * and each migration is applied once. The schema and the migrations table are created here
 * when missing, and only then.
 */
export function postgresMigrationLock(pool: pg.Pool, schema: string): MigrationLock {
  return {
    dialect: "postgres",
    locked(run) {
      return inTransaction(pool, async (client) => {
        await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`portcall:migrate:${schema}`]);
        // Look before creating: PostgreSQL checks the CREATE privilege even when IF NOT EXISTS
        // would skip, so a least-privilege role (docs/postgres.md) must not be asked for it.
        const { rows } = await client.query<{ schema: boolean; table: boolean }>(
          `SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1) AS schema,
                  to_regclass($2) IS NOT NULL AS table`,
          [schema, `${schema}.portcall_migrations`],
        );
        if (rows[0]?.schema !== true) await client.query(`CREATE SCHEMA ${schema}`);
        await client.query(`SET LOCAL search_path TO ${schema}`);
        if (rows[0]?.table !== true) {
          await client.query(`CREATE TABLE portcall_migrations (
            version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
        }
        return run({
          async appliedVersions() {
            const { rows } = await client.query<{ version: number }>(
              "SELECT version FROM portcall_migrations",
            );
            return new Set(rows.map((r) => r.version));
          },
          async apply(file) {
            await client.query(file.sql);
            await client.query("INSERT INTO portcall_migrations (version, name) VALUES ($1, $2)", [
              file.version,
              file.name,
            ]);
          },
        });
      });
    },
  };
}
