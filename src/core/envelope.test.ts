import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseEnvelope, toIsoTimestamp } from "./envelope.js";

const parse = (text: string | Uint8Array) =>
  parseEnvelope(typeof text === "string" ? Buffer.from(text) : text);

describe("parseEnvelope", () => {
  it("a Flexport event → id, type and UTC timestamps", () => {
    const result = parse(
      '{"_object":"/event","id":4813289,"version":2,"created_at":"2024-01-08T05:00:00.000Z","occurred_at":"2024-01-08T12:26:53.897+08:00","type":"/shipment#created","data":{}}',
    );
    assert.ok(result.ok);
    assert.deepEqual(result.envelope, {
      id: "4813289",
      type: "/shipment#created",
      occurredAt: "2024-01-08T04:26:53.897Z",
      createdAt: "2024-01-08T05:00:00.000Z",
    });
  });

  it("id above 2^53 → its exact decimal text", () => {
    const result = parse('{"id":12345678901234567890,"type":"/shipment#created"}');
    assert.ok(result.ok);
    assert.equal(result.envelope.id, "12345678901234567890");
  });

  it("duplicated id member → the last one, as JSON.parse keeps it", () => {
    const result = parse('{"id":1,"type":"t","id":2}');
    assert.ok(result.ok);
    assert.equal(result.envelope.id, "2");
  });

  it("string id → kept as given", () => {
    const result = parse('{"id":"evt_9007199254740993","type":"t"}');
    assert.ok(result.ok);
    assert.equal(result.envelope.id, "evt_9007199254740993");
  });

  it("missing occurred_at / created_at, or not dates → null, still an event", () => {
    const result = parse('{"id":1,"type":"t","occurred_at":"not a date","created_at":null}');
    assert.ok(result.ok);
    assert.equal(result.envelope.occurredAt, null);
    assert.equal(result.envelope.createdAt, null);
  });

  it("text returned is exactly the bytes (non-ASCII, escapes, whitespace)", () => {
    const text = '{ "id" : 5, "type":"t", "name":"Köln 青岛 🚢 \\u00e9" }\n';
    const result = parse(text);
    assert.ok(result.ok);
    assert.equal(result.text, text);
  });

  const invalid: [string, string | Uint8Array, string, RegExp][] = [
    ["not JSON", "{nope", "invalid_json", /not valid JSON/],
    ["empty body", "", "invalid_json", /not valid JSON/],
    ["invalid UTF-8", Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x7d]), "invalid_json", /UTF-8/],
    ["array", "[1]", "invalid_event", /JSON object/],
    ["null", "null", "invalid_event", /JSON object/],
    ["missing id", '{"type":"t"}', "invalid_event", /"id" is required/],
    ["null id", '{"id":null,"type":"t"}', "invalid_event", /"id" is required/],
    ["fractional id", '{"id":1.5,"type":"t"}', "invalid_event", /"id" must be an integer or a string/],
    ["exponent id", '{"id":1e3,"type":"t"}', "invalid_event", /"id" must be an integer or a string/],
    ["boolean id", '{"id":true,"type":"t"}', "invalid_event", /"id" must be an integer or a string/],
    ["empty string id", '{"id":"","type":"t"}', "invalid_event", /"id" must not be empty/],
    ["too long id", `{"id":"${"x".repeat(300)}","type":"t"}`, "invalid_event", /longer than 256/],
    ["missing type", '{"id":1}', "invalid_event", /"type" is required/],
    ["numeric type", '{"id":1,"type":3}', "invalid_event", /"type" must be a non-empty string/],
    ["empty type", '{"id":1,"type":""}', "invalid_event", /"type" must be a non-empty string/],
  ];
  for (const [name, body, problem, message] of invalid) {
    it(`${name} → ${problem}`, () => {
      const result = parse(body);
      assert.equal(result.ok, false);
      if (result.ok) return;
      assert.equal(result.problem, problem);
      assert.match(result.message, message);
    });
  }
});

describe("toIsoTimestamp", () => {
  it("offsets → UTC; garbage → null", () => {
    assert.equal(toIsoTimestamp("2024-02-09T06:35:00.000+08:00"), "2024-02-08T22:35:00.000Z");
    assert.equal(toIsoTimestamp("2024-02-08"), "2024-02-08T00:00:00.000Z");
    assert.equal(toIsoTimestamp(""), null);
    assert.equal(toIsoTimestamp(12), null);
    assert.equal(toIsoTimestamp("yesterday"), null);
  });
});
