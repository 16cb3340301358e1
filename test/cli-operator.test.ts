import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { DEFAULT_SOURCE } from "../src/core/event-recorder.js";
import { verifiedEvent } from "../src/core/verified-event.js";
import { packagePath } from "../src/paths.js";
import { ReceiverMetrics } from "../src/server/metrics.js";
import { openStore } from "../src/stores/open-store.js";
import type { EventStore } from "../src/stores/store.js";
import { runCli } from "./helpers/cli.js";
import { sha256 } from "./helpers/events.js";
import { TEST_SECRET } from "./helpers/http.js";
import { type ServeProcess, startServe } from "./helpers/serve.js";
import { postgresUnavailable, storeTargets, TEST_PG_URL, type TestStore } from "./helpers/stores.js";
import { tempDir } from "./helpers/temp.js";
import { controlCharacters } from "./helpers/terminal.js";

describe("serve on a port already in use", () => {
  it("serve → exits 1 within seconds, naming PORT and HOST, store closed", async () => {
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, "127.0.0.1", resolve));
    const port = (busy.address() as { port: number }).port;
    try {
      const dir = tempDir();
      const result = await runCli(
        ["serve"],
        { HOST: "127.0.0.1", PORT: String(port), PORTCALL_DATA_DIR: dir, FLEXPORT_WEBHOOK_SECRET: "s" },
        { timeoutMs: 8000 },
      );
      assert.equal(result.code, 1, `exit code (null: killed after 8 s); stderr: ${result.stderr}`);
      assert.match(result.stderr, new RegExp(`127\\.0\\.0\\.1:${port} is already in use`));
      assert.match(result.stderr, /PORT/);
      assert.match(result.stderr, /HOST/);
      assert.doesNotMatch(result.stderr, /\n\s+at /);
    } finally {
      busy.close();
    }
  });
});

describe("human output of stored values typed by others", () => {
  it("events and shipments → escape sequences in a type or shipment name are shown as text, never emitted", async () => {
    const databaseUrl = `sqlite:${tempDir()}/portcall.db`;
    const store = await openStore({ databaseUrl });
    try {
      await store.migrate();
      const body = JSON.stringify({
        _object: "/event",
        id: 7_300_001,
        version: 2,
        created_at: "2024-03-04T10:00:00.000Z",
        occurred_at: "2024-03-04T09:58:00.000Z",
        type: "/shipment#created\u001b]0;owned\u0007",
        data: {
          _object: "/shipment_event_data",
          resource: { _object: "/shipment", id: 2_799_001, name: "PO-1\u001b[2J\u001b[31mred\u009b0m" },
        },
      });
      const parsed = verifiedEvent(Buffer.from(body), "sha256", "webhook");
      assert.ok(parsed.ok);
      assert.equal(await store.insertIfAbsent(parsed.event, new Date()), true);
    } finally {
      await store.close();
    }
    for (const command of ["events", "shipments"]) {
      const result = await runCli([command], { DATABASE_URL: databaseUrl });
      assert.equal(result.code, 0, result.stderr);
      const out = result.stdout.toString();
      assert.deepEqual(controlCharacters(out), [], `${command} emits no control character`);
      assert.match(out, command === "events" ? /\\u001b\]0;owned\\u0007/ : /PO-1\\u001b\[2J/);
    }
  });
});

function storedEvent(id: number, type: string) {
  const parsed = verifiedEvent(
    Buffer.from(JSON.stringify({ _object: "/event", id, type, occurred_at: "2024-03-04T09:58:00.000Z" })),
    "sha256",
    "webhook",
  );
  assert.ok(parsed.ok);
  return parsed.event;
}

/** Two distinct bodies whose SHA-256 share the first hex digit, so that digit is an ambiguous prefix. */
function bodiesSharingAPrefix(): [string, string] {
  const seen = new Map<string, string>();
  for (let i = 0; ; i++) {
    const body = `{"not":"an event","n":${i}}`;
    const first = sha256(body).slice(0, 1);
    const other = seen.get(first);
    if (other !== undefined) return [other, body];
    seen.set(first, body);
  }
}

for (const target of await storeTargets()) {
  describe(`list and show commands on ${target.name}`, { skip: target.skip ?? false }, () => {
    let installation: TestStore;
    const [rejectA, rejectB] = bodiesSharingAPrefix();

    before(async () => {
      installation = await target.create();
      const store = await installation.open();
      try {
        await store.migrate();
        for (let i = 0; i < 5; i++) {
          await store.insertIfAbsent(storedEvent(7_400_001 + i, i < 3 ? "/a#x" : "/b#y"), new Date());
        }
        for (const body of [rejectA, rejectB]) {
          await store.quarantine(
            {
              reason: "invalid_event",
              detail: 'field "type" is required',
              payload: Buffer.from(body),
              payloadSha256: sha256(body),
              eventId: null,
              signatureAlg: "sha256",
              sourceName: DEFAULT_SOURCE,
            },
            new Date(),
          );
        }
      } finally {
        await store.close();
      }
    });

    after(async () => {
      await installation?.destroy();
    });

    it("events --limit 2 → two rows and how many more exist", async () => {
      const result = await runCli(["events", "--limit", "2"], installation.env);
      assert.equal(result.code, 0, result.stderr);
      const out = result.stdout.toString();
      assert.equal(out.split("\n").filter((l) => /^74000/.test(l)).length, 2);
      assert.match(out, /3 more events? not shown \(use --limit or --json\)/);
      const all = await runCli(["events", "--type", "/a#x"], installation.env);
      assert.doesNotMatch(all.stdout.toString(), /more/);
    });

    it("events with a filter that matches nothing → says no match, not 'no events stored yet'", async () => {
      const result = await runCli(["events", "--type", "/nope#none"], installation.env);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout.toString(), /no events match .*5 stored/);
    });

    it("event <id> --json → the JSON document; event <id> → a summary for people", async () => {
      const json = await runCli(["event", "7400001", "--json"], installation.env);
      assert.equal(json.code, 0, json.stderr);
      const parsed = JSON.parse(json.stdout.toString()) as { id: string; payload: { id: number } };
      assert.equal(parsed.id, "7400001");
      assert.equal(parsed.payload.id, 7_400_001);
      const human = (await runCli(["event", "7400001"], installation.env)).stdout.toString();
      assert.match(human, /^id\s+7400001$/m);
      assert.match(human, /^type\s+\/a#x$/m);
    });

    it("rejects --raw <the 12-character prefix the table shows> → the exact bytes", async () => {
      const table = (await runCli(["rejects"], installation.env)).stdout.toString();
      const shown = sha256(rejectA).slice(0, 12);
      assert.match(table, new RegExp(shown));
      const raw = await runCli(["rejects", "--raw", shown], installation.env);
      assert.equal(raw.code, 0, raw.stderr);
      assert.equal(raw.stdout.toString(), rejectA);
    });

    it("rejects --raw <a prefix of two> → exit 2 saying it is ambiguous; unknown → exit 2", async () => {
      const ambiguous = await runCli(["rejects", "--raw", sha256(rejectA).slice(0, 1)], installation.env);
      assert.equal(ambiguous.code, 2);
      assert.match(ambiguous.stderr, /ambiguous/);
      const unknown = await runCli(["rejects", "--raw", "0".repeat(64)], installation.env);
      assert.equal(unknown.code, 2);
      assert.match(unknown.stderr, /no quarantined body/);
      const notHex = await runCli(["rejects", "--raw", "xyz"], installation.env);
      assert.equal(notHex.code, 2);
      assert.match(notHex.stderr, /--raw: .*hexadecimal/);
    });
  });
}

describe("portcall --version", () => {
  it("--version → the package version, exit 0", async () => {
    const result = await runCli(["--version"], {});
    assert.equal(result.code, 0, result.stderr);
    const { version } = JSON.parse(readFileSync(packagePath("package.json"), "utf8")) as { version: string };
    assert.equal(result.stdout.toString().trim(), version);
  });
});

const READ_COMMANDS = [["events"], ["event", "1"], ["rejects"], ["shipments"], ["timeline", "1"], ["status"]];

describe("read-only commands create nothing", () => {
  it("each read command on a sqlite path that does not exist → exit 2 naming DATABASE_URL; no folder, no file", async () => {
    const dir = `${tempDir()}/no/such/dir`;
    for (const args of READ_COMMANDS) {
      const result = await runCli(args, { DATABASE_URL: `sqlite:${dir}/x.db` });
      assert.equal(result.code, 2, `${args[0]}: ${result.stderr}`);
      assert.match(result.stderr, /DATABASE_URL: no portcall database at .*x\.db/);
      assert.match(result.stderr, /portcall migrate/);
      assert.equal(existsSync(`${tempDir()}/no`), false);
    }
    assert.equal(existsSync(dir), false, "the folder was not created");
  });

  it("a read command with PORTCALL_DB_SCHEMA naming no portcall schema → exit 2 naming it; no schema created", async (t) => {
    const problem = await postgresUnavailable();
    if (problem !== undefined && process.env.CI !== "true") return t.skip(problem);
    const schema = `typo_${process.pid}_${Date.now()}`;
    for (const args of READ_COMMANDS) {
      const result = await runCli(args, { DATABASE_URL: TEST_PG_URL, PORTCALL_DB_SCHEMA: schema });
      assert.equal(result.code, 2, `${args[0]}: ${result.stderr}`);
      assert.match(result.stderr, new RegExp(`PORTCALL_DB_SCHEMA: no portcall tables in schema "${schema}"`));
    }
    const client = new pg.Client({ connectionString: TEST_PG_URL });
    await client.connect();
    try {
      const { rowCount } = await client.query("SELECT 1 FROM pg_namespace WHERE nspname = $1", [schema]);
      assert.equal(rowCount, 0, "the schema was not created");
    } finally {
      await client.end();
    }
  });
});

describe("errors name the variable and what to check; one exit-code convention", () => {
  it("usage mistakes commander finds (unknown option, unknown command, missing argument) → exit 2", async () => {
    for (const args of [["events", "--bogus"], ["no-such-command"], ["event"]]) {
      const result = await runCli(args, { DATABASE_URL: `sqlite:${tempDir()}/x.db` });
      assert.equal(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
    }
    assert.equal((await runCli(["--help"], {})).code, 0);
  });

  it("unsupported DATABASE_URL scheme → exit 2 naming DATABASE_URL", async () => {
    const result = await runCli(["events"], { DATABASE_URL: "mysql://x" });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /DATABASE_URL: unsupported scheme/);
  });

  it("PostgreSQL refusing the connection → exit 1 naming DATABASE_URL, host and port; never the password", async () => {
    const result = await runCli(["events"], { DATABASE_URL: "postgres://postgres:hunter2@127.0.0.1:1/test" });
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /DATABASE_URL: .*127\.0\.0\.1:1.*refused.*check the host and port/);
    assert.doesNotMatch(result.stderr, /hunter2/);
  });

  it("unknown role or database → exit 2 naming DATABASE_URL and which to check; never the password", async (t) => {
    const problem = await postgresUnavailable();
    if (problem !== undefined && process.env.CI !== "true") return t.skip(problem);
    const url = new URL(TEST_PG_URL);
    url.username = "no_such_role_portcall";
    url.password = "hunter2";
    const role = await runCli(["events"], { DATABASE_URL: url.toString() });
    assert.equal(role.code, 2, role.stderr);
    assert.match(role.stderr, /DATABASE_URL: .*role "no_such_role_portcall".*check the role/);
    assert.doesNotMatch(role.stderr, /hunter2/);
    const database = new URL(TEST_PG_URL);
    database.pathname = "/no_such_database_portcall";
    const db = await runCli(["events"], { DATABASE_URL: database.toString() });
    assert.equal(db.code, 2, db.stderr);
    assert.match(
      db.stderr,
      /DATABASE_URL: .*database "no_such_database_portcall" does not exist.*check the database/,
    );
  });
});

describe("status as a health check; the export backlog as metrics", () => {
  async function storeWithBacklog(): Promise<{ databaseUrl: string; store: EventStore }> {
    const databaseUrl = `sqlite:${tempDir()}/portcall.db`;
    const store = await openStore({ databaseUrl });
    await store.migrate();
    await store.outbox().enableSinks([{ name: "archive", target: "file:/tmp/portcall-archive" }]);
    assert.equal(await store.insertIfAbsent(storedEvent(7_500_001, "/a#x"), new Date()), true);
    return { databaseUrl, store };
  }

  it("status → exit 0 while the backlog is young; exit 1 once its oldest event is older than --max-age", async () => {
    const { databaseUrl, store } = await storeWithBacklog();
    await store.close();
    const young = await runCli(["status"], { DATABASE_URL: databaseUrl });
    assert.equal(young.code, 0, young.stderr);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const old = await runCli(["status", "--max-age", "1"], { DATABASE_URL: databaseUrl });
    assert.equal(old.code, 1, old.stderr);
    assert.match(old.stderr, /archive: the oldest unexported event is .* old \(more than --max-age 1 s\)/);
    assert.match(old.stdout.toString(), /archive/, "the table is still printed");
  });

  it("status → exit 1 when a sink's last export failed", async () => {
    const { databaseUrl, store } = await storeWithBacklog();
    try {
      await store.outbox().fail("archive", [{ eventId: "7500001", error: "disk full", retryAt: new Date() }]);
    } finally {
      await store.close();
    }
    const result = await runCli(["status", "--json"], { DATABASE_URL: databaseUrl });
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /archive: the last export failed: disk full/);
    assert.equal((JSON.parse(result.stdout.toString()) as unknown[]).length, 1, "--json output unchanged");
  });

  it("/metrics → export backlog size and oldest pending age per sink", async () => {
    const { store } = await storeWithBacklog();
    try {
      const metrics = new ReceiverMetrics({ defaultMetrics: false });
      metrics.watchOutbox(store.outbox());
      const text = await metrics.registry.metrics();
      assert.match(text, /^portcall_export_backlog_events\{sink="archive"\} 1$/m);
      assert.match(text, /^portcall_export_oldest_pending_age_seconds\{sink="archive"\} \d+(\.\d+)?$/m);
      assert.match(text, /^portcall_export_last_failed\{sink="archive"\} 0$/m);
    } finally {
      await store.close();
    }
  });
});

describe("send: pick samples, mint fresh ids, repeat", () => {
  let server: ServeProcess;
  const env = { DATABASE_URL: `sqlite:${tempDir()}/portcall.db`, FLEXPORT_WEBHOOK_SECRET: TEST_SECRET };

  before(async () => {
    server = await startServe(env);
  });

  after(async () => {
    await server?.stop();
  });

  it("send --pick <name> twice → stored, then duplicate", async () => {
    const first = await runCli(["send", "--pick", "01-shipment-created", server.webhookUrl], env);
    assert.equal(first.code, 0, first.stdout.toString() + first.stderr);
    assert.match(first.stdout.toString(), /01-shipment-created\.json: 200 \{"status":"stored"/);
    const again = await runCli(["send", "--pick", "01-shipment-created.json", server.webhookUrl], env);
    assert.match(again.stdout.toString(), /"status":"duplicate"/);
  });

  it("send --pick <type> --fresh-ids --count 3 → every copy stored under a new id, each signed", async () => {
    const result = await runCli(
      ["send", "--pick", "/shipment#created", "--fresh-ids", "--count", "3", server.webhookUrl],
      env,
    );
    assert.equal(result.code, 0, result.stdout.toString() + result.stderr);
    const out = result.stdout.toString();
    assert.equal(out.match(/"status":"stored"/g)?.length, 6, out);
    assert.match(out, /6 of 6 accepted/);
    const events = JSON.parse((await runCli(["events", "--json"], env)).stdout.toString()) as {
      id: string;
    }[];
    assert.equal(new Set(events.map((e) => e.id)).size, events.length);
    assert.equal(events.length, 7);
  });

  it("send --pick <nothing that matches> → exit 2 listing the samples", async () => {
    const result = await runCli(["send", "--pick", "no-such-sample", server.webhookUrl], env);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--pick: no sample named or typed "no-such-sample".*01-shipment-created/s);
  });
});

describe("replay of an archive that is not there", () => {
  it("replay file:<missing folder> → exit 2 naming the folder, not '0 read'", async () => {
    const databaseUrl = `sqlite:${tempDir()}/portcall.db`;
    const result = await runCli(["replay", `file:${tempDir()}/no/such/dir`], { DATABASE_URL: databaseUrl });
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /archive-url: no archive folder at .*no\/such\/dir/);
    assert.doesNotMatch(result.stdout.toString(), /0 read/);
  });
});
