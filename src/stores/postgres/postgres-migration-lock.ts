import type pg from "pg";
import type { MigrationLock } from "../migrator.js";

/**
 * A transaction-scoped advisory lock per schema: receivers starting together queue on it,
 * and each migration is applied once. The schema is created here when missing.
 */
export function postgresMigrationLock(pool: pg.Pool, schema: string): MigrationLock {
  return {
    dialect: "postgres",
    async locked(run) {
      const client = await pool.connect();
      try {
        await client.query("BEGIN");
        await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`portcall:migrate:${schema}`]);
        await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
        await client.query(`SET LOCAL search_path TO ${schema}`);
        await client.query(`CREATE TABLE IF NOT EXISTS portcall_migrations (
          version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
        const result = await run({
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
        await client.query("COMMIT");
        return result;
      } catch (error) {
        await client.query("ROLLBACK").catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
  };
}
