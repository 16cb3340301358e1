import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { connect } from "node:net";
import { describe, it } from "node:test";
import { signBody } from "../src/core/signature.js";
import { makeEvent } from "./helpers/fixtures.js";
import { deliver, receiverUnderTest, startTestServer, TEST_SECRET } from "./helpers/http.js";
import { storeTargets } from "./helpers/stores.js";

// One suite, run against every store: the HTTP behaviour must not depend on where events land.
const sha256 = (data: string | Uint8Array) => createHash("sha256").update(data).digest("hex");
let nextId = 7_200_000;
const freshEvent = (fields: Parameters<typeof makeEvent>[0] = {}) => makeEvent({ id: nextId++, ...fields });

for (const target of await storeTargets()) {
  describe(`receiver on ${target.name}`, { skip: target.skip ?? false }, () => {
    const rig = receiverUnderTest(target);

    it("new signed event → 200 stored, row byte-exact with deliveries 1", async () => {
      const body = freshEvent();
      const id = String(nextId - 1);
      const response = await deliver(rig.server.webhookUrl, body);
      assert.equal(response.status, 200);
      assert.deepEqual(response.json, { status: "stored", id });
      const row = await rig.store.getEvent(id);
      assert.ok(row);
      assert.equal(row.payload, body);
      assert.equal(row.payload_sha256, sha256(body));
      assert.equal(row.deliveries, 1);
      assert.equal(row.signature_alg, "sha256");
      assert.equal(row.type, "/shipment_leg#departed");
      assert.equal(row.occurred_at, "2024-03-04T09:58:00.000Z");
      assert.equal(row.source, "webhook");
    });

    it("redelivery → 200 duplicate; first bytes kept, deliveries 2, last_received_at moves", async () => {
      const body = freshEvent();
      const id = String(nextId - 1);
      await deliver(rig.server.webhookUrl, body);
      const first = await rig.store.getEvent(id);
      await new Promise((resolve) => setTimeout(resolve, 5));
      const again = await deliver(rig.server.webhookUrl, body);
      assert.deepEqual(again.json, { status: "duplicate", id });
      const row = await rig.store.getEvent(id);
      assert.ok(row && first);
      assert.equal(row.deliveries, 2);
      assert.equal(row.received_at, first.received_at);
      assert.ok(row.last_received_at > first.last_received_at, "last_received_at moved");
      assert.equal(row.payload, body);
    });

    it("known id with different bytes → 200 duplicate, first bytes kept, new bytes quarantined as id_conflict", async () => {
      const id = nextId++;
      const original = makeEvent({ id });
      const altered = makeEvent({ id, occurred_at: "2024-03-05T00:00:00.000Z" });
      await deliver(rig.server.webhookUrl, original);
      const response = await deliver(rig.server.webhookUrl, altered);
      assert.equal(response.status, 200);
      assert.deepEqual(response.json, { status: "duplicate", id: String(id) });
      const row = await rig.store.getEvent(String(id));
      assert.equal(row?.payload, original);
      const reject = await rig.store.getReject(sha256(altered));
      assert.ok(reject, "conflicting bytes kept in flexport_rejects");
      assert.equal(reject.reason, "id_conflict");
      assert.equal(reject.event_id, String(id));
      assert.equal(Buffer.from(reject.payload).toString("utf8"), altered);
    });

    it("id above 2^53 → stored under its exact decimal text", async () => {
      const body =
        '{"_object":"/event","id":9007199254740993,"version":2,"type":"/shipment#created","data":null}';
      const response = await deliver(rig.server.webhookUrl, body);
      assert.deepEqual(response.json, { status: "stored", id: "9007199254740993" });
      assert.equal((await rig.store.getEvent("9007199254740993"))?.payload, body);
      assert.equal(await rig.store.getEvent("9007199254740992"), undefined);
    });

    it("legacy sha1 header only → 200 stored with signature_alg sha1", async () => {
      const body = freshEvent();
      const { signBody } = await import("../src/core/signature.js");
      const response = await deliver(rig.server.webhookUrl, body, {
        sign: false,
        headers: { "X-Hub-Signature": signBody(Buffer.from(body), TEST_SECRET)["x-hub-signature"] ?? "" },
      });
      assert.equal(response.status, 200);
      assert.equal((await rig.store.getEvent(String(nextId - 1)))?.signature_alg, "sha1");
    });

    it("missing or wrong signature → 401 with one message, nothing stored", async () => {
      const before = (await rig.store.listEvents({})).length;
      const rejectsBefore = (await rig.store.listRejects({})).length;
      const unsigned = await deliver(rig.server.webhookUrl, freshEvent(), { sign: false });
      const wrong = await deliver(rig.server.webhookUrl, freshEvent(), { secret: "not-the-secret" });
      const garbage = await deliver(rig.server.webhookUrl, freshEvent(), {
        sign: false,
        headers: { "x-hub-signature-256": "sha256=zz" },
      });
      for (const response of [unsigned, wrong, garbage]) {
        assert.equal(response.status, 401);
        assert.deepEqual(response.json, {
          error: "unauthorized",
          message: "missing or invalid webhook signature",
        });
      }
      assert.equal((await rig.store.listEvents({})).length, before);
      assert.equal((await rig.store.listRejects({})).length, rejectsBefore);
    });

    it("signed non-JSON → 400 invalid_json, quarantined once and counted on redelivery", async () => {
      const body = `not json ${nextId++}`;
      const first = await deliver(rig.server.webhookUrl, body);
      assert.equal(first.status, 400);
      assert.deepEqual(first.json, { error: "invalid_json", message: "body is not valid JSON" });
      await deliver(rig.server.webhookUrl, body);
      const reject = await rig.store.getReject(sha256(body));
      assert.equal(reject?.reason, "invalid_json");
      assert.equal(reject?.deliveries, 2);
      assert.equal(Buffer.from(reject?.payload ?? []).toString(), body);
    });

    it("signed JSON that is not an event → 400 naming the field, quarantined", async () => {
      const body = JSON.stringify({ id: nextId++, note: "no type" });
      const response = await deliver(rig.server.webhookUrl, body);
      assert.equal(response.status, 400);
      assert.deepEqual(response.json, { error: "invalid_event", message: 'field "type" is required' });
      assert.equal((await rig.store.getReject(sha256(body)))?.reason, "invalid_event");
    });

    it('signed event naming its id twice → 400 invalid_event naming "id", quarantined, no event stored', async () => {
      const first = nextId++;
      const body = `{"id":${first},"type":"/shipment#created","data":{},"id":${nextId++}}`;
      const response = await deliver(rig.server.webhookUrl, body);
      assert.equal(response.status, 400);
      assert.equal(response.json.error, "invalid_event");
      assert.match(String(response.json.message), /field "id" appears more than once/);
      const reject = await rig.store.getReject(sha256(body));
      assert.equal(reject?.reason, "invalid_event");
      assert.match(String(reject?.detail), /"id"/);
      assert.equal(await rig.store.getEvent(String(first)), undefined);
      assert.equal(await rig.store.getEvent(String(first + 1)), undefined);
    });

    it("signed body that is not UTF-8 → 400, exact bytes quarantined", async () => {
      const body = Buffer.from([0x7b, 0x22, 0x69, 0x64, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d]);
      const response = await deliver(rig.server.webhookUrl, body);
      assert.equal(response.status, 400);
      assert.equal(response.json.error, "invalid_json");
      assert.deepEqual(Buffer.from((await rig.store.getReject(sha256(body)))?.payload ?? []), body);
    });

    it("any content type, or none → verified on the raw bytes and stored", async () => {
      for (const contentType of [
        "text/plain",
        "application/json; charset=utf-8",
        "application/x-www-form-urlencoded",
      ]) {
        const body = freshEvent();
        const response = await deliver(rig.server.webhookUrl, body, {
          headers: { "content-type": contentType },
        });
        assert.equal(response.status, 200, contentType);
        assert.equal((await rig.store.getEvent(String(nextId - 1)))?.payload, body);
      }
    });

    it("chunked body (no Content-Length) or a query string → answered exactly as a sized body", async () => {
      const answers = [];
      for (const shape of ["sized", "chunked", "query"] as const) {
        const body = freshEvent();
        const bytes = Buffer.from(body, "utf8");
        const stream = new ReadableStream<Uint8Array>({
          start(controller) {
            controller.enqueue(bytes.subarray(0, 10));
            controller.enqueue(bytes.subarray(10));
            controller.close();
          },
        });
        const response = await fetch(
          shape === "query" ? `${rig.server.webhookUrl}?from=test` : rig.server.webhookUrl,
          {
            method: "POST",
            headers: { ...signBody(bytes, TEST_SECRET), "content-type": "application/json" },
            body: shape === "chunked" ? stream : bytes,
            ...(shape === "chunked" ? { duplex: "half" } : {}),
          } as RequestInit,
        );
        const json = (await response.json()) as Record<string, unknown>;
        answers.push({
          shape,
          status: response.status,
          type: response.headers.get("content-type"),
          status_field: json.status,
        });
        assert.equal((await rig.store.getEvent(String(json.id)))?.payload, body, shape);
      }
      for (const answer of answers) {
        assert.deepEqual(
          { status: answer.status, type: answer.type, status_field: answer.status_field },
          { status: 200, type: "application/json; charset=utf-8", status_field: "stored" },
          answer.shape,
        );
      }
    });

    it("50 concurrent deliveries of one event → one row, deliveries 50, one 'stored'", async () => {
      const body = freshEvent();
      const id = String(nextId - 1);
      const responses = await Promise.all(
        Array.from({ length: 50 }, () => deliver(rig.server.webhookUrl, body)),
      );
      assert.ok(responses.every((r) => r.status === 200));
      assert.equal(responses.filter((r) => r.json.status === "stored").length, 1);
      assert.equal(responses.filter((r) => r.json.status === "duplicate").length, 49);
      assert.equal((await rig.store.getEvent(id))?.deliveries, 50);
      assert.equal((await rig.store.listEvents({})).filter((e) => e.id === id).length, 1);
    });

    it("200 distinct concurrent events → all stored, each once", async () => {
      const bodies = Array.from({ length: 200 }, () => freshEvent());
      const responses = await Promise.all(bodies.map((b) => deliver(rig.server.webhookUrl, b)));
      assert.ok(responses.every((r) => r.status === 200 && r.json.status === "stored"));
      for (const [i, body] of bodies.entries()) {
        assert.equal((await rig.store.getEvent(String(responses[i]?.json.id)))?.payload, body);
      }
    });

    it("body over PORTCALL_MAX_BODY_BYTES → 413 naming the limit, nothing stored", async () => {
      const small = await startTestServer(rig.store, { maxBodyBytes: 1024 });
      try {
        const body = makeEvent({ id: nextId++, type: `/shipment#${"x".repeat(1200)}` });
        const response = await deliver(small.webhookUrl, body);
        assert.equal(response.status, 413);
        assert.equal(response.json.error, "payload_too_large");
        assert.match(String(response.json.message), /1024 bytes/);
        assert.equal(await rig.store.getEvent(String(nextId - 1)), undefined);
      } finally {
        await small.close();
      }
    });

    it("declared Content-Length over the limit → 413 before any body byte is sent", async () => {
      const { hostname, port } = new URL(rig.server.url);
      const answer = await new Promise<string>((resolve, reject) => {
        const socket = connect(Number(port), hostname, () => {
          socket.write(
            "POST /webhooks/flexport HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" +
              `Content-Length: ${64 * 1024 * 1024}\r\n\r\n`,
          );
        });
        let text = "";
        socket.on("data", (chunk) => {
          text += chunk.toString();
          if (text.includes("\r\n\r\n")) {
            socket.destroy();
            resolve(text);
          }
        });
        socket.on("error", reject);
        setTimeout(() => reject(new Error("no answer within 3 s")), 3000).unref();
      });
      assert.match(answer, /^HTTP\/1\.1 413/);
    });

    it("large bodies at once, one client gone mid-body → the others stored byte-exact", async () => {
      // Over 1 MiB, bodies are read and delivered one at a time; a client that leaves while
      // its body is being read (or waits its turn) must not hold up the ones behind it.
      const large = () => {
        const event = JSON.parse(freshEvent()) as Record<string, unknown>;
        return JSON.stringify({ ...event, notes: "x".repeat(1_500_000) });
      };
      const { hostname, port } = new URL(rig.server.url);
      // The first client declares a large body, sends a little of it, and leaves.
      const socket = connect(Number(port), hostname);
      const gone = new Promise((resolve) => socket.on("close", resolve));
      await new Promise<void>((resolve) =>
        socket.write(
          "POST /webhooks/flexport HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" +
            `Content-Length: 2000000\r\n\r\n${"{".repeat(1000)}`,
          () => resolve(),
        ),
      );
      const bodies = [large(), large(), large()];
      const delivered = Promise.all(bodies.map((body) => deliver(rig.server.webhookUrl, body)));
      setTimeout(() => socket.destroy(), 50);
      await gone;
      const responses = await delivered;
      for (const [i, body] of bodies.entries()) {
        const response = responses[i];
        assert.equal(response?.status, 200);
        assert.equal((await rig.store.getEvent(String(response.json.id)))?.payload, body);
      }
    });

    it("other methods → 405 with Allow: POST; other paths → 404; JSON error bodies", async () => {
      const get = await fetch(rig.server.webhookUrl);
      assert.equal(get.status, 405);
      assert.equal(get.headers.get("allow"), "POST");
      assert.deepEqual(await get.json(), { error: "method_not_allowed", message: "method not allowed" });
      const missing = await fetch(`${rig.server.url}/webhooks/other`, { method: "POST", body: "{}" });
      assert.equal(missing.status, 404);
      assert.deepEqual(await missing.json(), { error: "not_found", message: "no such route" });
    });

    it("/healthz and /readyz → 200; /metrics counts deliveries by outcome", async () => {
      assert.deepEqual(await (await fetch(`${rig.server.url}/healthz`)).json(), { status: "ok" });
      const ready = await fetch(`${rig.server.url}/readyz`);
      assert.equal(ready.status, 200);
      assert.deepEqual(await ready.json(), { status: "ready", store: target.name });
      const metrics = await (await fetch(`${rig.server.url}/metrics`)).text();
      assert.match(metrics, /portcall_deliveries_total\{outcome="stored",source="default"\} [1-9]\d*/);
      assert.match(metrics, /portcall_deliveries_total\{outcome="unauthorized",source="default"\} [1-9]\d*/);
      assert.match(metrics, /portcall_duplicates_total\{source="default"\} [1-9]\d*/);
      assert.match(metrics, /portcall_rejects_total\{reason="invalid_json",source="default"\} [1-9]\d*/);
    });

    it("secret rotation → bodies signed with the old or the new secret are both accepted", async () => {
      const rotating = await startTestServer(rig.store, { secrets: ["new-secret", TEST_SECRET] });
      try {
        assert.equal(
          (await deliver(rotating.webhookUrl, freshEvent(), { secret: "new-secret" })).status,
          200,
        );
        assert.equal((await deliver(rotating.webhookUrl, freshEvent(), { secret: TEST_SECRET })).status, 200);
        assert.equal((await deliver(rotating.webhookUrl, freshEvent(), { secret: "retired" })).status, 401);
      } finally {
        await rotating.close();
      }
    });

    it("restart (store closed and reopened) → every event still there, byte-exact", async () => {
      const body = freshEvent();
      const id = String(nextId - 1);
      await deliver(rig.server.webhookUrl, body);
      await rig.server.close();
      await rig.store.close();
      rig.store = await rig.installation.open();
      const migrations = await rig.store.migrate();
      assert.ok(
        migrations.every((m) => !m.applied),
        "nothing re-applied",
      );
      rig.server = await startTestServer(rig.store);
      assert.equal((await rig.store.getEvent(id))?.payload, body);
      assert.deepEqual((await deliver(rig.server.webhookUrl, body)).json, { status: "duplicate", id });
    });
  });
}
