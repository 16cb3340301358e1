import assert from "node:assert/strict";
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { signBody } from "../src/core/signature.js";
import { packagePath } from "../src/paths.js";
import { BigQueryTarget } from "../src/sinks/bigquery-sink.js";
import { type FakeBigQuery, startFakeBigQuery } from "./fakes/fake-bigquery-server.js";
import { type FakeGcsServer, startFakeGcsServer } from "./fakes/fake-gcs-server.js";
import { makeEvent } from "./helpers/fixtures.js";
import { deliver, TEST_SECRET } from "./helpers/http.js";
import { freePort } from "./helpers/net.js";

const run = promisify(execFile);
const FUNCTION_SOURCE = packagePath("dist", "src", "function", "index.js");

describe("Cloud Function flexportWebhook, run by the real functions-framework", () => {
  let gcs: FakeGcsServer;
  let bigquery: FakeBigQuery;
  let framework: ChildProcess;
  let url: string;
  const output: string[] = [];

  before(async () => {
    gcs = await startFakeGcsServer();
    bigquery = await startFakeBigQuery();
    await new BigQueryTarget({ table: "proj.flexport.events", apiEndpoint: bigquery.url }).migrate();
    const port = await freePort();
    framework = spawn(
      process.execPath,
      [
        packagePath("node_modules", "@google-cloud", "functions-framework", "build", "src", "main.js"),
        "--target=flexportWebhook",
        `--source=${FUNCTION_SOURCE}`,
        `--port=${port}`,
      ],
      {
        env: {
          PATH: process.env.PATH ?? "",
          // Express shows stack traces to clients in development: the worst case for leaks.
          NODE_ENV: "development",
          FLEXPORT_WEBHOOK_SECRET: TEST_SECRET,
          ARCHIVE_URL: "gs://flexport-raw/events",
          STORAGE_EMULATOR_HOST: gcs.url,
          BIGQUERY_TABLE: "proj.flexport.events",
          BIGQUERY_API_ENDPOINT: bigquery.url,
        },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    framework.stdout?.on("data", (chunk: Buffer) => output.push(chunk.toString()));
    framework.stderr?.on("data", (chunk: Buffer) => output.push(chunk.toString()));
    url = `http://127.0.0.1:${port}/`;
    const deadline = Date.now() + 15_000;
    for (;;) {
      try {
        await fetch(url, { method: "GET" });
        break;
      } catch {
        if (Date.now() > deadline) throw new Error(`functions-framework did not start:\n${output.join("")}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  });

  after(async () => {
    framework.kill("SIGTERM");
    await new Promise((resolve) => framework.once("exit", resolve));
    await gcs.close();
    await bigquery.close();
  });

  const rows = () => bigquery.rows("proj", "flexport", "events");

  it("signed event → 200 stored; archived create-only with the exact bytes; one BigQuery row, insertId = id", async () => {
    const body = makeEvent({ id: 8_000_001 });
    const response = await deliver(url, body);
    assert.equal(response.status, 200, output.join(""));
    assert.deepEqual(response.json, { status: "stored", id: "8000001" });

    const uploads = gcs.uploads.filter((u) => u.name.endsWith("/8000001.json"));
    assert.equal(uploads.length, 1);
    const upload = uploads[0];
    assert.match(upload?.name ?? "", /^events\/dt=\d{4}-\d{2}-\d{2}\/8000001\.json$/);
    assert.equal(upload?.bucket, "flexport-raw");
    assert.equal(upload?.ifGenerationMatch, "0");
    assert.deepEqual(upload?.bytes, Buffer.from(body));

    const inserted = rows().filter((r) => r.insertId === "8000001");
    assert.equal(inserted.length, 1);
    assert.equal(inserted[0]?.json.payload, body);
    assert.equal(inserted[0]?.json.type, "/shipment_leg#departed");
  });

  it("the same event again → 200 duplicate; archive untouched (412), BigQuery insert repeated with the same insertId", async () => {
    const body = makeEvent({ id: 8_000_001 });
    const response = await deliver(url, body);
    assert.equal(response.status, 200);
    assert.deepEqual(response.json, { status: "duplicate", id: "8000001" });
    const uploads = gcs.uploads.filter((u) => u.name.endsWith("/8000001.json"));
    assert.deepEqual(
      uploads.map((u) => u.status),
      [200, 412],
    );
    assert.deepEqual(
      rows()
        .filter((r) => r.json.id === "8000001")
        .map((r) => r.insertId),
      ["8000001", "8000001"],
    );
    // The same ts as the first row (from the archived copy), so the _dedup view sees one event.
    const ts = rows()
      .filter((r) => r.json.id === "8000001")
      .map((r) => r.json.ts);
    assert.equal(new Set(ts).size, 1, `ts of the two rows: ${ts.join(", ")}`);
  });

  it("BigQuery failing after the archive write → 503; Flexport's retry → 200 and the row arrives", async () => {
    bigquery.failInserts(1, 503);
    const body = makeEvent({ id: 8_000_002 });
    const failed = await deliver(url, body);
    assert.equal(failed.status, 503);
    assert.equal(failed.json.error, "store_unavailable");
    assert.ok(gcs.objects.has(`flexport-raw/${gcs.uploads.at(-1)?.name}`), "archived before the failure");
    assert.equal(rows().filter((r) => r.json.id === "8000002").length, 0);

    const retried = await deliver(url, body);
    assert.equal(retried.status, 200);
    assert.equal(rows().filter((r) => r.json.id === "8000002").length, 1);
  });

  it("different bytes under a known id → 200, the first bytes stay, no BigQuery row for the new ones", async () => {
    const before = rows().length;
    const response = await deliver(url, makeEvent({ id: 8_000_001, shipmentId: 42 }));
    assert.equal(response.status, 200);
    const object = [...gcs.objects.values()].find((o) => o.name.endsWith("/8000001.json"));
    assert.deepEqual(object?.bytes, Buffer.from(makeEvent({ id: 8_000_001 })));
    assert.equal(rows().length, before);
  });

  it("wrong signature → 401, nothing archived or inserted", async () => {
    const uploads = gcs.uploads.length;
    const before = rows().length;
    const response = await deliver(url, makeEvent({ id: 8_000_003 }), { secret: "not-the-secret" });
    assert.equal(response.status, 401);
    assert.equal(response.json.error, "unauthorized");
    assert.equal(gcs.uploads.length, uploads);
    assert.equal(rows().length, before);
  });

  it('signed event naming its type twice → 400 invalid_event naming "type", nothing archived or inserted', async () => {
    const uploads = gcs.uploads.length;
    const before = rows().length;
    const body = '{"id":8000009,"type":"/shipment#created","type":"/shipment#arrived","data":{}}';
    const response = await deliver(url, body);
    assert.equal(response.status, 400);
    assert.equal(response.json.error, "invalid_event");
    assert.match(String(response.json.message), /field "type" appears more than once/);
    assert.equal(gcs.uploads.length, uploads);
    assert.equal(rows().length, before);
  });

  it("GET → 405", async () => {
    const response = await fetch(url);
    assert.equal(response.status, 405);
  });

  const rejectsOf = (sha256: string) =>
    [...gcs.objects.values()].filter(
      (o) => o.name.startsWith("events/rejects/dt=") && o.name.endsWith(`/${sha256}.json`),
    );

  it("the id conflict's bytes are kept under rejects/ (reason id_conflict, event id) before the 200", async () => {
    const second = makeEvent({ id: 8_000_001, shipmentId: 42 });
    const kept = rejectsOf(sha256(second));
    assert.equal(kept.length, 1, "kept by the earlier conflict test");
    assert.match(kept[0]?.name ?? "", /^events\/rejects\/dt=\d{4}-\d{2}-\d{2}\/[0-9a-f]{64}\.json$/);
    assert.deepEqual(kept[0]?.bytes, Buffer.from(second));
    assert.equal(kept[0]?.metadata?.reason, "id_conflict");
    assert.equal(kept[0]?.metadata?.event_id, "8000001");
  });

  for (const [name, body, contentType, error] of [
    ["malformed JSON as application/json", '{"id": 1, "type": ', "application/json", "invalid_json"],
    ["malformed JSON as text/plain", "{not json", "text/plain", "invalid_json"],
    ["malformed JSON with no content type", "{{{", undefined, "invalid_json"],
    ["non-object JSON", "[1, 2, 3]", "application/json", "invalid_event"],
    [
      "an object without an id",
      '{"_object":"/event","type":"/shipment#created"}',
      "application/json",
      "invalid_event",
    ],
  ] as const) {
    it(`signed ${name} → portcall's 400 ${error} JSON, kept durably under rejects/ with the reason`, async () => {
      const response = await fetch(url, {
        method: "POST",
        headers: {
          ...(contentType ? { "content-type": contentType } : {}),
          ...signBody(Buffer.from(body), TEST_SECRET),
        },
        body,
      });
      const text = await response.text();
      assert.equal(response.status, 400, text);
      assert.match(response.headers.get("content-type") ?? "", /^application\/json/);
      assert.equal((JSON.parse(text) as { error: string }).error, error);
      assert.doesNotMatch(text, /<html|<pre|SyntaxError|node_modules|\bat \w/i);
      const kept = rejectsOf(sha256(body));
      assert.equal(kept.length, 1);
      assert.equal(kept[0]?.bytes.toString(), body);
      assert.equal(kept[0]?.metadata?.reason, error);
      assert.equal(kept[0]?.metadata?.sha256, sha256(body));
    });
  }

  it("unsigned malformed JSON → portcall's 401 JSON, nothing kept, no HTML", async () => {
    const objects = gcs.objects.size;
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{oops",
    });
    const text = await response.text();
    assert.equal(response.status, 401);
    assert.equal((JSON.parse(text) as { error: string }).error, "unauthorized");
    assert.equal(gcs.objects.size, objects);
  });

  it("a body the framework cannot decode (unknown Content-Encoding) → portcall's JSON, no HTML", async () => {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", "content-encoding": "x-unknown" },
      body: "{}",
    });
    const text = await response.text();
    assert.ok(response.status >= 400 && response.status < 500, text);
    assert.ok(typeof (JSON.parse(text) as { error: unknown }).error === "string", text);
    assert.doesNotMatch(text, /<html|<pre|node_modules/i);
  });
});

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

describe("Cloud Function entry point", () => {
  it("importing it → loads no database driver, web framework or Cloud SDK (they load on first use)", async () => {
    // CommonJS packages (all of these are) appear in require.cache once loaded, even through
    // import; the probe loads pg afterwards to show it would have seen it.
    const script = `
      import { createRequire } from "node:module";
      const cache = () => Object.keys(createRequire(import.meta.url).cache);
      await import(${JSON.stringify(FUNCTION_SOURCE)});
      const entry = cache();
      await import("pg");
      process.stdout.write(JSON.stringify({ entry, control: cache() }));`;
    const { stdout } = await run(process.execPath, ["--input-type=module", "-e", script], {
      cwd: packagePath(),
    });
    const { entry, control } = JSON.parse(stdout) as { entry: string[]; control: string[] };
    assert.ok(
      control.some((path) => path.includes("/node_modules/pg/")),
      "probe sees CommonJS modules",
    );
    for (const heavy of [
      "pg",
      "better-sqlite3",
      "fastify",
      "pino",
      "@google-cloud/bigquery",
      "@google-cloud/storage",
    ]) {
      assert.ok(
        !entry.some((path) => path.includes(`/node_modules/${heavy}/`)),
        `${heavy} was loaded by the entry point`,
      );
    }
  });
});
