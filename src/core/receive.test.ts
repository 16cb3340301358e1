import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { EventRecorder, QuarantinedBody, RecordOutcome, VerifiedEvent } from "./event-recorder.js";
import { decide, receive, signatureHeadersFrom } from "./receive.js";
import { signBody } from "./signature.js";

const config = { secrets: ["s3cret"], acceptSha1: true, maxBodyBytes: 1024 };
const event = Buffer.from('{"id":9007199254740993,"type":"/shipment#created"}');
const headersFor = (body: Uint8Array, secret = "s3cret") => {
  const signed = signBody(body, secret);
  return signatureHeadersFrom((name) => signed[name]);
};

class FakeRecorder implements EventRecorder {
  events: VerifiedEvent[] = [];
  quarantined: QuarantinedBody[] = [];
  constructor(private readonly outcome: RecordOutcome | Error = "stored") {}
  async record(e: VerifiedEvent): Promise<RecordOutcome> {
    if (this.outcome instanceof Error) throw this.outcome;
    this.events.push(e);
    return this.outcome;
  }
  async quarantine(body: QuarantinedBody): Promise<void> {
    if (this.outcome instanceof Error) throw this.outcome;
    this.quarantined.push(body);
  }
}

describe("decide", () => {
  it("signed event → event with exact payload, sha256 and algorithm", () => {
    const decision = decide(event, headersFor(event), config);
    assert.equal(decision.kind, "event");
    if (decision.kind !== "event") return;
    assert.equal(decision.event.id, "9007199254740993");
    assert.equal(decision.event.payload, event.toString("utf8"));
    assert.equal(decision.event.signatureAlg, "sha256");
    assert.match(decision.event.payloadSha256, /^[0-9a-f]{64}$/);
  });

  it("unsigned → unauthorized, and the body is never parsed", () => {
    const decision = decide(Buffer.from("not json"), { sha256: undefined, sha1: undefined }, config);
    assert.deepEqual(decision, { kind: "unauthorized", failure: "missing" });
  });

  it("signed non-JSON → quarantine invalid_json", () => {
    const body = Buffer.from("hello");
    const decision = decide(body, headersFor(body), config);
    assert.equal(decision.kind, "quarantine");
    if (decision.kind === "quarantine") assert.equal(decision.body.reason, "invalid_json");
  });

  it("over maxBodyBytes → too_large before verifying", () => {
    const body = Buffer.alloc(1025, 0x20);
    assert.deepEqual(decide(body, headersFor(body), config), { kind: "too_large" });
  });
});

describe("receive", () => {
  it("new event → 200 stored with the exact id", async () => {
    const recorder = new FakeRecorder("stored");
    const result = await receive(event, headersFor(event), config, recorder);
    assert.equal(result.status, 200);
    assert.deepEqual(result.body, { status: "stored", id: "9007199254740993" });
    assert.equal(recorder.events.length, 1);
  });

  it("known id → 200 duplicate; conflicting bytes → 200 duplicate, outcome conflict", async () => {
    assert.deepEqual((await receive(event, headersFor(event), config, new FakeRecorder("duplicate"))).body, {
      status: "duplicate",
      id: "9007199254740993",
    });
    const conflict = await receive(event, headersFor(event), config, new FakeRecorder("conflict"));
    assert.equal(conflict.status, 200);
    assert.equal(conflict.outcome, "conflict");
    assert.deepEqual(conflict.body, { status: "duplicate", id: "9007199254740993" });
  });

  it("store failure → 503 with Retry-After, never 2xx", async () => {
    const result = await receive(
      event,
      headersFor(event),
      config,
      new FakeRecorder(new Error("disk I/O error")),
    );
    assert.equal(result.status, 503);
    assert.equal(result.headers["retry-after"], "5");
    assert.deepEqual(result.body, {
      error: "store_unavailable",
      message: "storage is unavailable; retry later",
    });
  });

  it("wrong secret → 401, nothing written", async () => {
    const recorder = new FakeRecorder();
    const result = await receive(event, headersFor(event, "other"), config, recorder);
    assert.equal(result.status, 401);
    assert.equal(recorder.events.length + recorder.quarantined.length, 0);
  });

  it("signed event without type → 400 naming the field, body quarantined", async () => {
    const body = Buffer.from('{"id":1}');
    const recorder = new FakeRecorder();
    const result = await receive(body, headersFor(body), config, recorder);
    assert.equal(result.status, 400);
    assert.deepEqual(result.body, { error: "invalid_event", message: 'field "type" is required' });
    assert.equal(recorder.quarantined.length, 1);
    assert.deepEqual(Buffer.from(recorder.quarantined[0]?.payload ?? []), body);
  });

  it("quarantine write failure → 503 (an authenticated body is never dropped)", async () => {
    const body = Buffer.from("not json");
    const result = await receive(body, headersFor(body), config, new FakeRecorder(new Error("down")));
    assert.equal(result.status, 503);
  });
});

describe("signatureHeadersFrom", () => {
  it("array values (a header sent twice) → joined, which never verifies", () => {
    const headers = signatureHeadersFrom((name) => (name === "x-hub-signature-256" ? ["a", "b"] : undefined));
    assert.deepEqual(headers, { sha256: "a, b", sha1: undefined });
  });
});
