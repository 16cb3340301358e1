import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { packagePath } from "../src/paths.js";
import { runCli } from "./helpers/cli.js";
import { TEST_SECRET } from "./helpers/http.js";
import { startServe } from "./helpers/serve.js";
import { postgresUnavailable, TEST_PG_URL } from "./helpers/stores.js";

const ROLES_SQL = readFileSync(packagePath("sql", "postgres", "roles.sql"), "utf8");
const problem = await postgresUnavailable();
const skip = problem !== undefined && process.env.CI !== "true" ? `skipped: ${problem}` : false;

// The least-privilege setup exactly as docs/postgres.md shows it, with throwaway names.
describe("PostgreSQL least-privilege roles (sql/postgres/roles.sql)", { skip }, () => {
  const suffix = `${process.pid}_${randomBytes(3).toString("hex")}`;
  const owner = `portcall_owner_t${suffix}`;
  const app = `portcall_app_t${suffix}`;
  const schema = `portcall_roles_t${suffix}`;
  const admin = new pg.Client({ connectionString: TEST_PG_URL });
  const urlAs = (role: string) => {
    const url = new URL(TEST_PG_URL);
    url.username = role;
    return url.toString();
  };
  const envAs = (role: string) => ({ DATABASE_URL: urlAs(role), PORTCALL_DB_SCHEMA: schema });

  before(async () => {
    await admin.connect();
    const sql = ROLES_SQL.replace(/\bportcall_owner\b/g, owner)
      .replace(/\bportcall_app\b/g, app)
      .replace(/\bportcall\b(?= )|\bportcall(?=;|\n)/g, schema);
    await admin.query(sql);
  });

  after(async () => {
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
    for (const role of [app, owner]) {
      await admin.query(`DROP OWNED BY ${role}`).catch(() => undefined);
      await admin.query(`DROP ROLE IF EXISTS ${role}`).catch(() => undefined);
    }
    await admin.end();
  });

  it("docs/postgres.md shows the file as it is", () => {
    const doc = readFileSync(packagePath("docs", "postgres.md"), "utf8");
    assert.ok(doc.includes(ROLES_SQL.trim()), "the SQL block in docs/postgres.md is sql/postgres/roles.sql");
  });

  it("owner: portcall migrate → every migration applied; app: migrate → nothing to apply, exit 0", async () => {
    const first = await runCli(["migrate"], envAs(owner));
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout.toString(), /applied now/);
    const again = await runCli(["migrate"], envAs(app));
    assert.equal(again.code, 0, again.stderr);
    assert.doesNotMatch(again.stdout.toString(), /applied now/);
  });

  it("app: serve receives and stores; events and status read", async () => {
    const env = { ...envAs(app), FLEXPORT_WEBHOOK_SECRET: TEST_SECRET };
    const server = await startServe(env);
    try {
      const sent = await runCli(["send", "--pick", "01-shipment-created", server.webhookUrl], env);
      assert.match(sent.stdout.toString(), /200 \{"status":"stored"/, sent.stdout.toString() + sent.stderr);
    } finally {
      assert.equal(await server.stop(), 0);
    }
    const events = await runCli(["events", "--json"], envAs(app));
    assert.equal(events.code, 0, events.stderr);
    assert.equal((JSON.parse(events.stdout.toString()) as unknown[]).length, 1);
    assert.equal((await runCli(["status"], envAs(app))).code, 0);
  });

  it("app: cannot alter or add tables in the schema", async () => {
    const client = new pg.Client({ connectionString: urlAs(app) });
    await client.connect();
    try {
      for (const ddl of [
        `ALTER TABLE ${schema}.flexport_events ADD COLUMN intruder integer`,
        `CREATE TABLE ${schema}.intruder (a integer)`,
        `DROP TABLE ${schema}.flexport_rejects`,
      ]) {
        await assert.rejects(client.query(ddl), (error: unknown) => {
          assert.equal((error as { code?: string }).code, "42501", ddl);
          return true;
        });
      }
    } finally {
      await client.end();
    }
  });
});
