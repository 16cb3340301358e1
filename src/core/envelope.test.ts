import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
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

  it("the stored form is kept as it is; days and hours the parser rolls over are rebuilt", () => {
    assert.equal(toIsoTimestamp("2024-03-04T09:58:00.000Z"), "2024-03-04T09:58:00.000Z");
    assert.equal(toIsoTimestamp("2024-02-30T00:00:00.000Z"), "2024-03-01T00:00:00.000Z");
    assert.equal(toIsoTimestamp("2024-03-04T24:00:00.000Z"), "2024-03-05T00:00:00.000Z");
    assert.equal(toIsoTimestamp("2024-13-01T00:00:00.000Z"), null);
  });

  it("agrees with toISOString on every day and hour of a leap year", () => {
    for (let month = 1; month <= 12; month++) {
      for (let day = 1; day <= 31; day++) {
        for (const hour of [0, 23, 24]) {
          const text = `2024-${pad(month)}-${pad(day)}T${pad(hour)}:59:59.999Z`;
          const ms = Date.parse(text);
          assert.equal(toIsoTimestamp(text), Number.isNaN(ms) ? null : new Date(ms).toISOString(), text);
        }
      }
    }
  });
});

function pad(n: number): string {
  return String(n).padStart(2, "0");
}

describe("parseEnvelope: duplicated envelope members", () => {
  for (const member of ["id", "type", "occurred_at", "created_at"]) {
    it(`"${member}" twice at the top level → invalid_event naming "${member}"`, () => {
      const members = ['"id":111', '"type":"/shipment#created"', '"occurred_at":"2024-01-01T00:00:00Z"'];
      members.push('"created_at":"2024-01-01T00:00:00Z"');
      const again = member === "id" ? '"id":222' : `"${member}":"2024-02-02T00:00:00Z"`;
      const result = parse(`{${members.join(",")},"data":{"id":5},${again}}`);
      assert.equal(result.ok, false);
      if (result.ok) return;
      assert.equal(result.problem, "invalid_event");
      assert.match(result.message, new RegExp(`"${member}" appears more than once`));
    });
  }

  it("a duplicate spelled with an escape (\\u0069d) is still a duplicate", () => {
    const result = parse('{"id":1,"type":"t","\\u0069d":2}');
    assert.equal(result.ok, false);
  });

  it("duplicates of other members, or nested ids, are not the envelope's business", () => {
    const result = parse('{"id":1,"type":"t","data":{"id":2,"id":3},"note":"a","note":"b"}');
    assert.ok(result.ok);
    assert.equal(result.envelope.id, "1");
  });

  it("property: any object with a repeated envelope member is refused; without one, the id is exact", () => {
    const envelopeMembers = ["id", "type", "occurred_at", "created_at"] as const;
    const otherKey = fc
      .string({ maxLength: 8 })
      .filter((k) => !(envelopeMembers as readonly string[]).includes(k));
    const jsonValue = fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v));
    const member = fc.oneof(
      fc.tuple(otherKey, jsonValue),
      // Nested objects that carry the same names must not count.
      fc.tuple(otherKey, fc.constant('{"id":7,"type":"nested"}')),
    );
    fc.assert(
      fc.property(
        fc.array(member, { maxLength: 6 }),
        fc.bigInt({ min: 0n, max: 10n ** 20n }),
        fc.option(fc.constantFrom(...envelopeMembers), { nil: undefined }),
        fc.nat(),
        fc.constantFrom("", " ", "\n  "),
        (others, id, duplicated, position, space) => {
          const members: string[] = others.map(([k, v]) => `${JSON.stringify(k)}:${space}${v}`);
          const insert = (text: string, at: number) => members.splice(at % (members.length + 1), 0, text);
          insert(`"id":${space}${id}`, position);
          insert('"type":"/shipment#created"', position >> 3);
          // Once more for id and type (already there), twice for the timestamps.
          if (duplicated === "id") insert(`${space}"id"${space}:${id + 1n}`, position >> 6);
          else if (duplicated === "type") insert('"type":"/shipment#updated"', position >> 6);
          else if (duplicated !== undefined) {
            insert(`"${duplicated}":"2024-01-01"`, position >> 6);
            insert(`${space}"${duplicated}"${space}:"2024-01-02"`, position >> 9);
          }
          const result = parse(`{${space}${members.join(`,${space}`)}${space}}`);
          if (duplicated === undefined) {
            assert.ok(result.ok, result.ok ? "" : result.message);
            assert.equal(result.envelope.id, String(id));
          } else {
            assert.equal(result.ok, false);
            if (!result.ok)
              assert.match(result.message, new RegExp(`"${duplicated}" appears more than once`));
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
