import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { VerifiedEvent } from "../src/core/event-recorder.js";
import { CATALOGUE } from "../src/milestones/catalogue.js";
import type { EventStore } from "../src/stores/store.js";
import { sqlRows, storeTargets, type TestStore } from "./helpers/stores.js";
import { at, type Json, viewRows, viewTestEvents } from "./helpers/view-events.js";

// The same events go into every store; both views must give the same rows everywhere, and
// the rows must match what the payloads say (worked out here in TypeScript, independently
// of the SQL).

// ---- The oracle: what each view column should hold, from the JSON itself.

const path = (value: unknown, ...keys: string[]): unknown =>
  keys.reduce<unknown>(
    (node, key) => (node !== null && typeof node === "object" ? (node as Json)[key] : undefined),
    value,
  );
const text = (value: unknown): string | null =>
  typeof value === "string" ? value : typeof value === "number" ? String(value) : null;
const catalogue = new Map(CATALOGUE.map((entry) => [entry.type, entry]));

function expectedMilestone(event: VerifiedEvent): Json {
  const body = JSON.parse(event.payload) as Json;
  const data = body.data;
  const resourceObject = text(path(data, "resource", "_object"));
  const isShipment = resourceObject === "/shipment";
  const containers = path(data, "containers");
  const numbers = Array.isArray(containers)
    ? containers.map((c) => text(path(c, "container_number"))).filter((n) => n !== null)
    : [];
  const entry = catalogue.get(event.type);
  return {
    event_id: event.id,
    type: event.type,
    label: entry?.label ?? event.type,
    category: entry?.category ?? "other",
    effect: entry?.effect ?? null,
    occurred_at: event.occurredAt,
    created_at: event.createdAt,
    resource_object: resourceObject,
    resource_id: text(path(data, "resource", "id")),
    shipment_id:
      text(path(data, "shipment", "id")) ??
      text(path(data, "resource", "shipment", "id")) ??
      (isShipment ? text(path(data, "resource", "id")) : null),
    shipment_name:
      text(path(data, "shipment", "name")) ?? (isShipment ? text(path(data, "resource", "name")) : null),
    transportation_mode:
      text(path(data, "shipment", "transportation_mode")) ??
      text(path(data, "resource", "transportation_mode")),
    location_name: text(path(data, "location", "place", "name")),
    location_code: text(path(data, "location", "place", "address", "unlocode")),
    container_numbers: numbers.length === 0 ? null : numbers.join(","),
    estimated_departure_date: text(path(data, "shipment", "estimated_departure_date")),
    actual_departure_date: text(path(data, "shipment", "actual_departure_date")),
    estimated_arrival_date: text(path(data, "shipment", "estimated_arrival_date")),
    actual_arrival_date: text(path(data, "shipment", "actual_arrival_date")),
  };
}

const events = viewTestEvents();
const results = new Map<string, { milestones: Json[]; status: Json[] }>();

for (const target of await storeTargets()) {
  describe(`milestone views on ${target.name}`, { skip: target.skip ?? false }, () => {
    let installation: TestStore;
    let store: EventStore;
    let milestones: Json[];
    let status: Json[];
    const statusOf = (id: number) => status.find((row) => row.shipment_id === String(id));

    before(async () => {
      installation = await target.create();
      store = await installation.open();
      await store.migrate();
      const receivedAt = new Date();
      await Promise.all(events.map((e) => store.insertIfAbsent(e, receivedAt)));
      milestones = await viewRows(store, "flexport_milestones", "event_id");
      status = await viewRows(store, "flexport_shipment_status", "shipment_id");
      results.set(target.name, { milestones, status });
    });

    after(async () => {
      await store?.close();
      await installation?.destroy();
    });

    it("flexport_event_types → exactly the catalogue", async () => {
      const sql = "SELECT type, label, category, effect FROM flexport_event_types ORDER BY type";
      const rows = await sqlRows<Json>(store, sql, ' COLLATE "C"');
      const expected = [...CATALOGUE]
        .map((e) => ({ type: e.type, label: e.label, category: e.category, effect: e.effect }))
        .sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
      assert.deepEqual(rows, expected);
    });

    it("flexport_milestones → one row per event, each as its payload says", () => {
      assert.equal(milestones.length, events.length);
      const byId = new Map(milestones.map((row) => [row.event_id, row]));
      for (const event of events) {
        assert.deepEqual(byId.get(event.id), expectedMilestone(event), `event ${event.id} (${event.type})`);
      }
    });

    it("unknown type → kept, labelled with its raw type, category other", () => {
      const row = milestones.find((m) => m.event_id === "9000061");
      assert.equal(row?.label, "/shipment#teleported");
      assert.equal(row?.category, "other");
      assert.equal(row?.container_numbers, null);
      assert.equal(row?.location_name, null);
    });

    it("invoice without a shipment → in milestones, in no shipment's status", () => {
      const row = milestones.find((m) => m.event_id === "9000071");
      assert.equal(row?.category, "billing");
      assert.equal(row?.shipment_id, null);
      assert.equal(row?.resource_id, "INVxyz");
    });

    it("flexport_shipment_status → one row per shipment id, with its counts and times", () => {
      const expected = new Map<string, string[]>();
      for (const row of milestones) {
        if (row.shipment_id === null) continue;
        const times = expected.get(String(row.shipment_id)) ?? [];
        times.push(String(row.occurred_at ?? row.created_at));
        expected.set(String(row.shipment_id), times);
      }
      assert.deepEqual(status.map((s) => s.shipment_id).sort(), [...expected.keys()].sort());
      for (const row of status) {
        const times = (expected.get(String(row.shipment_id)) ?? []).sort();
        assert.equal(row.event_count, times.length, `event_count of ${row.shipment_id}`);
        assert.equal(row.first_event_at, times[0]);
        assert.equal(row.last_event_at, times.at(-1));
        const deliveredEvents = milestones.filter(
          (m) => m.shipment_id === row.shipment_id && m.type === "/shipment#delivered_in_full",
        );
        assert.equal(row.delivered, deliveredEvents.length > 0, `delivered of ${row.shipment_id}`);
      }
    });

    it("customs hold without release → open hold, status exception", () => {
      const row = statusOf(9_100_001);
      assert.equal(row?.customs_hold_open, true);
      assert.equal(row?.exception_open, false);
      assert.equal(row?.status, "exception");
      assert.equal(row?.latest_milestone_label, "Customs hold: documents required");
      // The latest snapshot has no ETA; the latest one seen is kept.
      assert.equal(row?.estimated_arrival_date, "2025-06-01T08:00:00.000-07:00");
    });

    it("hold, release, delivery → delivered, nothing open", () => {
      const row = statusOf(9_100_002);
      assert.deepEqual(
        [row?.status, row?.delivered, row?.customs_hold_open, row?.exception_open, row?.delivered_at],
        ["delivered", true, false, false, at(3)],
      );
      assert.equal(row?.latest_location_name, "Customer warehouse");
      assert.equal(row?.latest_location_code, null);
      assert.equal(
        milestones.find((m) => m.event_id === "9000011")?.container_numbers,
        "ABCU1234567,XYZU7654321",
      );
    });

    it("exception after delivery → exception open; delay before delivery → closed", () => {
      assert.deepEqual(
        [statusOf(9_100_003)?.status, statusOf(9_100_003)?.exception_open, statusOf(9_100_003)?.delivered],
        ["exception", true, true],
      );
      const delayed = statusOf(9_100_004);
      assert.deepEqual([delayed?.status, delayed?.exception_open], ["delivered", false]);
      assert.equal(delayed?.last_exception_label, "Weather delay");
    });

    it("only invoices → the latest invoice is the latest milestone", () => {
      assert.equal(statusOf(9_100_005)?.latest_milestone_type, "/invoice#invoice_payment_made");
      assert.equal(statusOf(9_100_005)?.status, "in-transit");
    });

    it("same time → the numerically higher event id is the latest", () => {
      assert.equal(statusOf(9_100_006)?.latest_milestone_type, "/shipment_leg#arrived");
    });

    it("event without occurred_at → placed at its created_at", () => {
      const row = statusOf(9_100_007);
      assert.equal(row?.latest_milestone_type, "/shipment#booking_confirmed");
      assert.equal(row?.latest_milestone_at, at(500));
    });
  });
}

describe("milestone views across stores", () => {
  it("SQLite and PostgreSQL → the same rows in both views, row by row", (t) => {
    const sqlite = results.get("sqlite");
    const postgres = results.get("postgres");
    if (sqlite === undefined || postgres === undefined) {
      t.skip("needs both stores");
      return;
    }
    for (const view of ["milestones", "status"] as const) {
      assert.equal(postgres[view].length, sqlite[view].length, `${view}: row count`);
      sqlite[view].forEach((row, i) => {
        assert.deepEqual(postgres[view][i], row, `${view} row ${i}`);
      });
    }
  });
});
