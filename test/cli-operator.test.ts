import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { after, before, describe, it } from "node:test";
import { verifiedEvent } from "../src/core/verified-event.js";
import { packagePath } from "../src/paths.js";
import { openStore } from "../src/stores/open-store.js";
import { runCli } from "./helpers/cli.js";
import { sha256 } from "./helpers/events.js";
import { storeTargets, type TestStore } from "./helpers/stores.js";
import { tempDir } from "./helpers/temp.js";

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
      assert.doesNotMatch(
        out,
        /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/,
        `${command} emits no control character`,
      );
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
