import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import { parseEnvelope } from "../../src/core/envelope.js";
import type { App } from "../../src/server/app.js";
import { SqliteStore } from "../../src/stores/sqlite/sqlite-store.js";
import { sha256 } from "../helpers/events.js";
import { makeEvent } from "../helpers/fixtures.js";
import { tempDir } from "../helpers/temp.js";
import { createInProcessApp } from "./support/in-process-app.js";
import { recordResult } from "./support/results.js";

const SECRET = "hostile-input-secret-5f0c2a9e7d";
const OTHER_SECRET = "not-the-configured-secret";
const MAX_BODY_BYTES = 64 * 1024;
const RUNS = 3000;
const SEED = 20_261_129;

const hmac = (alg: "sha256" | "sha1", secret: string, body: Uint8Array) =>
  createHmac(alg, secret).update(body).digest("hex");

/**
 * How the signature headers are sent, with whether the delivery is authentic: the oracle
 * comes from how each case was built, not from the product's verifier.
 */
const SIGNATURE_MODES = {
  sha256: true,
  sha256_upper_hex: true,
  sha256_bare_hex: true,
  sha256_upper_header_name: true,
  sha1_only: true,
  sha256_good_sha1_bad: true,
  sha256_bad_sha1_good: false,
  wrong_secret: false,
  none: false,
  empty: false,
  non_hex: false,
  truncated: false,
  oversized: false,
  duplicated: false,
  wrong_prefix: false,
} as const;
type SignatureMode = keyof typeof SIGNATURE_MODES;

function signatureHeaders(mode: SignatureMode, body: Uint8Array): Record<string, string | string[]> {
  const good256 = hmac("sha256", SECRET, body);
  const good1 = hmac("sha1", SECRET, body);
  const bad256 = hmac("sha256", OTHER_SECRET, body);
  const bad1 = hmac("sha1", OTHER_SECRET, body);
  switch (mode) {
    case "sha256":
      return { "x-hub-signature-256": `sha256=${good256}` };
    case "sha256_upper_hex":
      return { "x-hub-signature-256": `sha256=${good256.toUpperCase()}` };
    case "sha256_bare_hex":
      return { "x-hub-signature-256": good256 };
    case "sha256_upper_header_name":
      return { "X-HUB-SIGNATURE-256": `sha256=${good256}` };
    case "sha1_only":
      return { "x-hub-signature": `sha1=${good1}` };
    case "sha256_good_sha1_bad":
      return { "x-hub-signature-256": `sha256=${good256}`, "x-hub-signature": `sha1=${bad1}` };
    case "sha256_bad_sha1_good":
      return { "x-hub-signature-256": `sha256=${bad256}`, "x-hub-signature": `sha1=${good1}` };
    case "wrong_secret":
      return { "x-hub-signature-256": `sha256=${bad256}`, "x-hub-signature": `sha1=${bad1}` };
    case "none":
      return {};
    case "empty":
      return { "x-hub-signature-256": "", "x-hub-signature": "" };
    case "non_hex":
      return { "x-hub-signature-256": `sha256=${"zq".repeat(32)}` };
    case "truncated":
      return { "x-hub-signature-256": `sha256=${good256.slice(0, 63)}` };
    case "oversized":
      return { "x-hub-signature-256": `sha256=${good256}${"0".repeat(8000)}` };
    case "duplicated":
      return { "x-hub-signature-256": [`sha256=${good256}`, `sha256=${good256}`] };
    case "wrong_prefix":
      return { "x-hub-signature-256": `sha1=${good256}` };
  }
}

const CONTENT_TYPES = [
  undefined,
  "application/json",
  "application/json; charset=utf-8",
  "application/json; charset=utf-16",
  "text/plain",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=xyz",
  "application/octet-stream",
  "",
  "application/json\u0000",
] as const;

/** Bodies: valid events, mutations of them, other encodings, random JSON, random bytes. */
const bodyArbitrary = (nextId: () => number) =>
  fc.oneof(
    fc.record({ type: fc.string({ minLength: 1, maxLength: 40 }) }).map(({ type }) => ({
      kind: "event",
      make: () => Buffer.from(makeEvent({ id: nextId(), type }), "utf8"),
    })),
    fc
      .record({
        at: fc.nat(),
        byte: fc.integer({ min: 0, max: 255 }),
        op: fc.constantFrom("flip", "cut", "insert"),
      })
      .map(({ at, byte, op }) => ({
        kind: `mutated_${op}`,
        make: () => {
          const body = Buffer.from(makeEvent({ id: nextId() }), "utf8");
          const i = at % body.length;
          if (op === "cut") return body.subarray(0, i);
          if (op === "insert")
            return Buffer.concat([body.subarray(0, i), Buffer.from([byte]), body.subarray(i)]);
          const copy = Buffer.from(body);
          copy[i] = (copy[i] ?? 0) ^ (byte === 0 ? 1 : byte);
          return copy;
        },
      })),
    fc.constantFrom("utf16le_bom", "utf8_bom", "latin1").map((encoding) => ({
      kind: `encoding_${encoding}`,
      make: () => {
        const text = makeEvent({ id: nextId(), type: "/shipment#café" });
        if (encoding === "utf16le_bom")
          return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, "utf16le")]);
        if (encoding === "utf8_bom")
          return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]);
        return Buffer.from(text, "latin1");
      },
    })),
    fc.json({ maxDepth: 3 }).map((json) => ({ kind: "json", make: () => Buffer.from(json, "utf8") })),
    fc.uint8Array({ maxLength: 300 }).map((bytes) => ({ kind: "bytes", make: () => Buffer.from(bytes) })),
    fc.constant({ kind: "oversized", make: () => Buffer.alloc(MAX_BODY_BYTES + 1, 0x20) }),
  );

describe("hostile input: property-based, in-process (app.inject) on a real SQLite file", () => {
  let store: SqliteStore;
  let app: App;
  const logLines: string[] = [];

  before(async () => {
    store = new SqliteStore({ filename: `${tempDir()}/portcall.db` });
    await store.migrate();
    app = createInProcessApp(store, { secrets: [SECRET], maxBodyBytes: MAX_BODY_BYTES, logLines });
    await app.ready();
  });

  after(async () => {
    await app?.close();
    await store?.close();
  });

  it(`${RUNS} random deliveries → no 5xx; stored ⇔ authentic ∧ valid envelope; quarantined ⇔ authentic ∧ invalid envelope; no secret or signature echoed`, async () => {
    const count = (table: string) =>
      (store.database.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
    const stored = new Map<string, string>();
    const quarantined = new Set<string>();
    const outcomes = new Map<string, number>();
    let id = 9_400_000;
    let deliveries = 0;
    let authenticStored = 0;

    await fc.assert(
      fc.asyncProperty(
        bodyArbitrary(() => id++),
        fc.constantFrom(...(Object.keys(SIGNATURE_MODES) as SignatureMode[])),
        fc.constantFrom(...CONTENT_TYPES),
        fc.boolean(),
        async (bodyCase, mode, contentType, gzipLabel) => {
          const body = bodyCase.make();
          const sigHeaders = signatureHeaders(mode, body);
          const headers: Record<string, string | string[]> = { ...sigHeaders };
          if (contentType !== undefined) headers["content-type"] = contentType;
          if (gzipLabel) headers["content-encoding"] = "gzip";
          const eventsBefore = count("flexport_events");
          const rejectsBefore = count("flexport_rejects");

          const response = await app.inject({
            method: "POST",
            url: "/webhooks/flexport",
            headers,
            payload: body,
          });
          deliveries++;
          const key = `${response.statusCode}`;
          outcomes.set(key, (outcomes.get(key) ?? 0) + 1);

          assert.ok(
            response.statusCode < 500,
            `no 5xx from input alone (${response.statusCode} ${response.body})`,
          );
          const text = response.body;
          assert.ok(!text.includes(SECRET), "the response never echoes the secret");
          for (const value of [
            hmac("sha256", SECRET, body),
            hmac("sha1", SECRET, body),
            hmac("sha256", OTHER_SECRET, body),
            hmac("sha1", OTHER_SECRET, body),
          ]) {
            assert.ok(
              !text.toLowerCase().includes(value.slice(0, 16)),
              "the response never echoes a signature",
            );
          }

          const tooLarge = body.byteLength > MAX_BODY_BYTES;
          const authentic = SIGNATURE_MODES[mode] && !tooLarge;
          const parsed = parseEnvelope(body);
          if (bodyCase.kind === "event") assert.ok(parsed.ok, "a generated event has a valid envelope");
          const digest = sha256(body);

          if (tooLarge) {
            assert.equal(response.statusCode, 413);
          } else if (!authentic) {
            assert.equal(response.statusCode, 401, `mode ${mode} is not authentic`);
          }
          if (!authentic) {
            assert.equal(count("flexport_events"), eventsBefore, "nothing unauthenticated is stored");
            assert.equal(count("flexport_rejects"), rejectsBefore, "nothing unauthenticated is quarantined");
            return;
          }
          if (parsed.ok) {
            assert.equal(response.statusCode, 200, `authentic valid event → 200 (${response.body})`);
            const first = stored.get(parsed.envelope.id);
            const row = await store.getEvent(parsed.envelope.id);
            if (first === undefined || first === parsed.text) {
              assert.equal(row?.payload, parsed.text, "stored byte-exact");
              assert.equal(row?.payload_sha256, digest);
              stored.set(parsed.envelope.id, parsed.text);
              authenticStored++;
            } else {
              // Same id, other bytes: the first bytes stay and the new ones are kept aside.
              assert.equal(row?.payload, first);
              quarantined.add(digest);
            }
          } else {
            assert.equal(response.statusCode, 400, `authentic invalid envelope → 400 (${response.body})`);
            assert.equal(count("flexport_events"), eventsBefore, "an invalid envelope is not an event");
            quarantined.add(digest);
          }
          const reject = await store.getReject(digest);
          assert.equal(
            reject !== undefined,
            quarantined.has(digest),
            "quarantined ⇔ authentic ∧ invalid envelope",
          );
          if (reject) assert.ok(Buffer.from(reject.payload).equals(body), "quarantined byte-exact");
        },
      ),
      { numRuns: RUNS, seed: SEED, includeErrorInReport: true },
    );

    const health = await app.inject({ method: "GET", url: "/healthz" });
    assert.equal(health.statusCode, 200, "the app is still serving");
    const leaked = logLines.filter((l) => l.includes(SECRET)).length;
    assert.equal(leaked, 0, "no log line holds the secret");
    assert.equal(count("flexport_events"), stored.size, "no rows beyond the authentic events");

    let found = 0;
    for (const [eventId, text] of stored) {
      const row = await store.getEvent(eventId);
      if (row?.payload === text && row.payload_sha256 === sha256(text)) found++;
    }
    assert.equal(found, stored.size, "every acknowledged event is still there at the end");
    const statuses = [...outcomes.entries()]
      .sort()
      .map(([s, n]) => `${n}×${s}`)
      .join(", ");
    recordResult({
      case: "hostile input",
      store: "sqlite",
      done: `fast-check, ${RUNS} cases (seed ${SEED}) through app.inject(): valid/mutated/random bodies, UTF-16/BOM/Latin-1 encodings, 15 signature header variants, 10 content types, gzip label`,
      deliveries,
      acknowledged: stored.size,
      found,
      lost: stored.size - found,
      duplicated: count("flexport_events") - stored.size,
      crashes: 0,
      notes: `answers ${statuses}; ${authenticStored} acknowledged deliveries checked byte-exact at once; ${stored.size} authentic events stored, ${quarantined.size} authentic bodies quarantined, 0 unauthenticated rows; no 5xx, no secret or signature in any response`,
    });
  });
});
