import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { parseEnvelope } from "../src/core/envelope.js";
import type { VerifiedEvent } from "../src/core/event-recorder.js";
import { parseLogisticsEnvelope } from "../src/core/logistics-envelope.js";
import { LOGISTICS_SAMPLES_DIR, loadSamples, SAMPLES_DIR } from "../src/samples/samples.js";
import type { EventStore } from "../src/stores/store.js";
import { sqlRows, storeTargets, type TestStore } from "./helpers/stores.js";

type Json = Record<string, unknown>;

// The freight samples' ocean shipment 2714306 names PO-88120 and SKU TKS-DO55-SGE; the
// Logistics API samples receive that PO at the warehouse, then ship and return that SKU.
function verified(bytes: Buffer, api: "freight" | "logistics"): VerifiedEvent {
  const sha = createHash("sha256").update(bytes).digest("hex");
  const parsed = api === "freight" ? parseEnvelope(bytes) : parseLogisticsEnvelope(bytes, sha);
  if (!parsed.ok) throw new Error(parsed.message);
  return {
    ...parsed.envelope,
    payload: parsed.text,
    payloadSha256: sha,
    signatureAlg: api === "freight" ? "sha256" : null,
    source: "webhook",
    sourceName: api === "freight" ? "default" : "fulfilment",
    api,
  };
}
const events = [
  ...loadSamples(SAMPLES_DIR).map((s) => verified(s.bytes, "freight")),
  ...loadSamples(LOGISTICS_SAMPLES_DIR).map((s) => verified(s.bytes, "logistics")),
];

function normalise(row: Json): Json {
  const out: Json = {};
  for (const [key, value] of Object.entries(row)) {
    if (value instanceof Date) out[key] = value.toISOString();
    else if (key.includes("quantity") && value !== null) out[key] = Number(value);
    else out[key] = value;
  }
  return out;
}

const results = new Map<string, Record<string, Json[]>>();
const VIEWS = {
  timeline: "SELECT * FROM supply_chain_timeline ORDER BY key_kind, key, event_at, event_id",
  orders: "SELECT * FROM logistics_orders ORDER BY event_id",
  parcels: "SELECT * FROM logistics_parcel_tracking ORDER BY event_id",
  inbound: "SELECT * FROM logistics_inbound ORDER BY event_id",
  inventory: "SELECT * FROM logistics_inventory_adjustments ORDER BY event_id",
};

for (const target of await storeTargets()) {
  describe(`Logistics API views on ${target.name}`, { skip: target.skip ?? false }, () => {
    let installation: TestStore;
    let store: EventStore;
    let rows: Record<string, Json[]>;

    before(async () => {
      installation = await target.create();
      store = await installation.open();
      await store.migrate();
      await Promise.all(events.map((e) => store.record(e, new Date("2024-10-20T00:00:00Z"))));
      rows = {};
      for (const [name, sql] of Object.entries(VIEWS)) {
        // "C" collation: the same order as SQLite's byte order.
        const pgSql = sql.replace(
          /ORDER BY (.*)$/,
          (_, keys: string) =>
            `ORDER BY ${keys
              .split(", ")
              .map((k) => (k === "event_at" ? k : `${k} COLLATE "C"`))
              .join(", ")}`,
        );
        rows[name] = (await sqlRows<Json>(store, target.name === "postgres" ? pgSql : sql)).map(normalise);
      }
      results.set(target.name, rows);
    });
    after(async () => {
      await store?.close();
      await installation?.destroy();
    });

    it("timeline of PO-88120 → the shipment's milestones, then inbound arrival and receipt", () => {
      const po = (rows.timeline ?? []).filter((r) => r.key === "PO-88120");
      const freight = po.filter((r) => r.api === "freight");
      assert.ok(freight.length >= 10, `the shipment's milestones (${freight.length})`);
      assert.ok(freight.every((r) => r.shipment_id === "2714306"));
      assert.ok(
        freight.some((r) => r.type === "/ocean/shipment_container_leg#unloaded_off_board"),
        "discharge",
      );
      assert.deepEqual(
        po.filter((r) => r.api === "logistics").map((r) => [r.type, r.source_name]),
        [
          ["Inbound.ShipmentStatusChanged", "fulfilment"],
          ["Inbound.Received", "fulfilment"],
        ],
      );
      const discharge = freight.find((r) => r.type === "/ocean/shipment_container_leg#unloaded_off_board");
      const received = po.find((r) => r.type === "Inbound.Received");
      assert.ok(
        String(discharge?.event_at) < String(received?.event_at),
        "time order: discharge before receipt",
      );
    });

    it("timeline of SKU TKS-DO55-SGE → received 1200, shipped 2, returned 1; an unlinked SKU is absent", () => {
      const sku = (rows.timeline ?? []).filter((r) => r.key_kind === "sku" && r.key === "TKS-DO55-SGE");
      assert.deepEqual(
        sku.filter((r) => r.api === "logistics").map((r) => [r.type, r.quantity]),
        [
          ["Inbound.ShipmentStatusChanged", null],
          ["Inbound.Received", 1200],
          ["Order.Shipped", 2],
          ["Return.Updated", 1],
        ],
      );
      assert.ok(sku.some((r) => r.api === "freight" && r.type === "/shipment#delivered_in_full"));
      // TKS-SK12-BLK is on the shipment too; a SKU no shipment names never appears.
      assert.equal((rows.timeline ?? []).filter((r) => r.key === "NOT-ON-ANY-SHIPMENT").length, 0);
      assert.ok((rows.timeline ?? []).every((r) => r.api === "freight" || r.key !== "ORD-3307781"));
    });

    it("per-type views → orders shipped and cancelled, parcel scans, inbound, adjustments", () => {
      assert.deepEqual(
        (rows.orders ?? []).map((r) => [r.status, r.order_id, r.skus, r.tracking_codes]),
        [
          ["shipped", "ORD-3307781", "TKS-DO55-SGE", "1Z4A7W330312457781"],
          ["cancelled", "ORD-3307914", "TKS-SK12-BLK", null],
        ],
      );
      assert.deepEqual(
        (rows.parcels ?? []).map((r) => [r.tracking_code, r.status, r.city, r.zip]),
        [["1Z4A7W330312457781", "IN_TRANSIT", "Ontario", "91761"]],
      );
      assert.deepEqual(
        (rows.inbound ?? []).map((r) => [r.type, r.purchase_order, r.status, r.received_quantity]),
        [
          ["Inbound.ShipmentStatusChanged", "PO-88120", "ARRIVED", null],
          ["Inbound.Received", "PO-88120", "RECEIVED", 2098],
        ],
      );
      assert.deepEqual(
        (rows.inventory ?? []).map((r) => [r.sku, r.quantity, r.reason]),
        [["TKS-SK12-BLK", -2, "DAMAGED"]],
      );
    });
  });
}

describe("Logistics API views across stores", () => {
  it("SQLite and PostgreSQL → the same rows", (t) => {
    const sqlite = results.get("sqlite");
    const postgres = results.get("postgres");
    if (sqlite === undefined || postgres === undefined) return t.skip("needs both stores");
    assert.deepEqual(postgres, sqlite);
  });
});
