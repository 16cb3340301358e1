import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, describe, it } from "node:test";
import Database from "better-sqlite3";
import pg from "pg";
import { loadMigrations } from "../src/stores/migrator.js";
import type { EventStore } from "../src/stores/store.js";
import { deliver, startTestServer } from "./helpers/http.js";
import { sqlRows, storeTargets, type TestStore } from "./helpers/stores.js";

// A database made by the schema before sources (migrations 001-004 as they are), with
// events and a reject in it, upgraded by the real migrator: nothing lost, the old rows are
// the default freight source, and new deliveries record their source.

const BEFORE_SOURCES = 5;
const OLD_EVENT = '{"_object":"/event","id":8300001,"type":"/shipment#created"}';

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
const oldRows = {
  event: ["8300001", "/shipment#created", "2024-01-01T00:00:00.000Z", 3, OLD_EVENT, sha256(OLD_EVENT)],
  reject: [
    "b".repeat(64),
    "invalid_json",
    "body is not valid JSON",
    "2024-01-02T00:00:00.000Z",
    Buffer.from("{oops"),
  ],
};

async function makeOldDatabase(installation: TestStore, dialect: "sqlite" | "postgres"): Promise<void> {
  const files = loadMigrations(dialect).filter((f) => f.version < BEFORE_SOURCES);
  if (dialect === "sqlite") {
    const db = new Database(installation.databaseUrl.replace(/^sqlite:/, ""));
    db.exec(
      "CREATE TABLE portcall_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)",
    );
    for (const f of files) {
      db.exec(f.sql);
      db.prepare("INSERT INTO portcall_migrations VALUES (?, ?, ?)").run(
        f.version,
        f.name,
        "2024-01-01T00:00:00Z",
      );
    }
    const [id, type, at, deliveries, payload, sha] = oldRows.event;
    db.prepare(
      `INSERT INTO flexport_events (id, type, received_at, last_received_at, deliveries, payload, payload_sha256)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ).run(id, type, at, at, deliveries, payload, sha);
    const [rsha, reason, detail, rat, rpayload] = oldRows.reject;
    db.prepare(
      `INSERT INTO flexport_rejects (payload_sha256, reason, detail, received_at, last_received_at, payload)
       VALUES (?, ?, ?, ?, ?, ?)`,
    ).run(rsha, reason, detail, rat, rat, rpayload);
    db.close();
    return;
  }
  const schema = installation.env.PORTCALL_DB_SCHEMA ?? "public";
  const client = new pg.Client({ connectionString: installation.databaseUrl });
  await client.connect();
  try {
    await client.query(`CREATE SCHEMA ${schema}`);
    await client.query(`SET search_path TO ${schema}`);
    await client.query(
      "CREATE TABLE portcall_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())",
    );
    for (const f of files) {
      await client.query(f.sql);
      await client.query("INSERT INTO portcall_migrations (version, name) VALUES ($1, $2)", [
        f.version,
        f.name,
      ]);
    }
    const [id, type, at, deliveries, payload, sha] = oldRows.event;
    await client.query(
      `INSERT INTO flexport_events (id, type, received_at, last_received_at, deliveries, payload, payload_sha256)
       VALUES ($1, $2, $3, $3, $4, $5, $6)`,
      [id, type, at, deliveries, payload, sha],
    );
    const [rsha, reason, detail, rat, rpayload] = oldRows.reject;
    await client.query(
      `INSERT INTO flexport_rejects (payload_sha256, reason, detail, received_at, last_received_at, payload)
       VALUES ($1, $2, $3, $4, $4, $5)`,
      [rsha, reason, detail, rat, rpayload],
    );
  } finally {
    await client.end();
  }
}

for (const target of await storeTargets()) {
  describe(`upgrade to sources on ${target.name}`, { skip: target.skip ?? false }, () => {
    let installation: TestStore;
    let store: EventStore;

    before(async () => {
      installation = await target.create();
      await makeOldDatabase(installation, target.name);
      store = await installation.open();
    });
    after(async () => {
      await store?.close();
      await installation?.destroy();
    });

    it("migrate → applies only 005; the old rows are kept, as the default freight source", async () => {
      const results = await store.migrate();
      assert.deepEqual(
        results.filter((r) => r.applied).map((r) => r.version),
        loadMigrations(target.name)
          .filter((f) => f.version >= BEFORE_SOURCES)
          .map((f) => f.version),
      );
      const event = await store.getEvent("8300001");
      assert.equal(event?.payload, OLD_EVENT);
      assert.equal(event?.deliveries, 3);
      assert.equal(event?.source_name, "default");
      assert.equal(event?.api, "freight");
      const [reject] = await store.listRejects({});
      assert.equal(reject?.payload_sha256, "b".repeat(64));
      assert.equal(reject?.source_name, "default");
      const raw = await store.getReject("b".repeat(64));
      assert.equal(Buffer.from(raw?.payload ?? []).toString(), "{oops");
    });

    it("after the upgrade (a server with lz4) → new event payloads are compressed with lz4", {
      skip: target.name === "postgres" ? false : "PostgreSQL only",
    }, async () => {
      // A server without lz4 (before 14, or built without it) keeps pglz; its enum lists lz4 only when built with it.
      const rows = await sqlRows<{ attname: string; attcompression: string; lz4: boolean }>(
        store,
        `SELECT attname::text, attcompression::text,
                EXISTS (SELECT 1 FROM pg_settings
                        WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)) AS lz4
         FROM pg_attribute WHERE attrelid = 'flexport_events'::regclass
           AND attname IN ('payload', 'payload_json') ORDER BY attname`,
      );
      if (rows[0]?.lz4 !== true) return;
      assert.deepEqual(
        rows.map((r) => [r.attname, r.attcompression]),
        [
          ["payload", "l"],
          ["payload_json", "l"],
        ],
      );
    });

    it("after the upgrade → a redelivery of an old event is counted; a new source's event records it", async () => {
      const server = await startTestServer(store, {
        sources: { eu: { api: "freight", secrets: ["eu-upgrade-secret"] } },
      });
      try {
        const again = await deliver(server.webhookUrl, OLD_EVENT);
        assert.equal(again.json.status, "duplicate");
        const body = '{"_object":"/event","id":8300002,"type":"/shipment#created"}';
        assert.equal(
          (await deliver(`${server.webhookUrl}/eu`, body, { secret: "eu-upgrade-secret" })).status,
          200,
        );
        assert.equal((await store.getEvent("8300002"))?.source_name, "eu");
        assert.equal((await store.getEvent("8300001"))?.deliveries, 4);
      } finally {
        await server.close();
      }
    });
  });
}
