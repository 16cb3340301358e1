import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, it } from "node:test";
import { parseEnvelope } from "./envelope.js";
import { logisticsBodyKey, parseLogisticsEnvelope } from "./logistics-envelope.js";

const sha = (body: Buffer) => createHash("sha256").update(body).digest("hex");
const parse = (value: unknown, options = {}) => {
  const body = Buffer.from(typeof value === "string" ? value : JSON.stringify(value));
  return parseLogisticsEnvelope(body, sha(body), options);
};

describe("parseLogisticsEnvelope", () => {
  it("logistics* fields → namespaced id, type and ISO time", () => {
    const parsed = parse({
      logisticsAccountId: "acct-1",
      logisticsEventId: "evt-42",
      logisticsEventType: "Parcel.TrackingUpdated",
      logisticsEventTime: "2024-05-02T10:00:00+02:00",
      trackingCode: "1Z999",
    });
    assert.ok(parsed.ok);
    assert.deepEqual(parsed.envelope, {
      id: "logistics:evt-42",
      type: "Parcel.TrackingUpdated",
      occurredAt: "2024-05-02T08:00:00.000Z",
      createdAt: null,
    });
  });

  it("no logisticsEventId → the body's hash is the key; Return.Updated recognised by its shape", () => {
    const body = Buffer.from(JSON.stringify({ id: 77, status: "SHIPPED", returnItems: [] }));
    const parsed = parseLogisticsEnvelope(body, sha(body));
    assert.ok(parsed.ok);
    assert.equal(parsed.envelope.id, logisticsBodyKey(sha(body)));
    assert.equal(parsed.envelope.type, "Return.Updated");
    assert.equal(parsed.envelope.occurredAt, null);
  });

  it("no type and no event_type on the source → invalid_event naming the field", () => {
    const parsed = parse({ logisticsEventId: "e1" });
    assert.equal(parsed.ok, false);
    if (!parsed.ok) assert.match(parsed.message, /logisticsEventType/);
  });

  it("no type but the source's event_type → that type", () => {
    const parsed = parse({ logisticsEventId: "e1" }, { defaultType: "Inventory.Adjusted" });
    assert.ok(parsed.ok);
    assert.equal(parsed.envelope.type, "Inventory.Adjusted");
  });

  it("non-string logisticsEventId, non-object body, bad JSON → quarantinable problems", () => {
    const numeric = parse({ logisticsEventId: 5, logisticsEventType: "Order.Shipped" });
    assert.equal(numeric.ok, false);
    const array = parse("[1]");
    assert.ok(!array.ok && array.problem === "invalid_event");
    const broken = parse("{");
    assert.ok(!broken.ok && broken.problem === "invalid_json");
  });
});

describe("parseEnvelope (freight) and the logistics namespace", () => {
  it('a freight id starting with "logistics:" → invalid_event, so the two id spaces never meet', () => {
    const parsed = parseEnvelope(Buffer.from('{"id":"logistics:1","type":"/shipment#created"}'));
    assert.equal(parsed.ok, false);
  });
});
