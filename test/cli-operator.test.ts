import assert from "node:assert/strict";
import { createServer } from "node:net";
import { describe, it } from "node:test";
import { verifiedEvent } from "../src/core/verified-event.js";
import { openStore } from "../src/stores/open-store.js";
import { runCli } from "./helpers/cli.js";
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
