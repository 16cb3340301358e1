import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { parseEnvelope } from "../../src/core/envelope.js";
import type { VerifiedEvent } from "../../src/core/event-recorder.js";
import { loadSamples, SAMPLES_DIR } from "../../src/samples/samples.js";
import type { EventStore } from "../../src/stores/store.js";
import { conformanceCorpus } from "./fixtures.js";
import { sqlRows } from "./stores.js";

// The events the milestone-view suites load into every store (and the BigQuery reference
// engine): the repo's samples, the conformance corpus when present, and edge cases with a
// known answer.

export type Json = Record<string, unknown>;

const T0 = Date.parse("2025-05-01T00:00:00.000Z");
export const at = (hours: number) => new Date(T0 + hours * 3_600_000).toISOString();

function shipment(id: number, fields: Json = {}): Json {
  return {
    _object: "/shipment",
    id,
    name: `Scenario shipment ${id}`,
    transportation_mode: "ocean",
    estimated_departure_date: null,
    actual_departure_date: null,
    estimated_arrival_date: null,
    actual_arrival_date: null,
    ...fields,
  };
}

function place(name: string, unlocode: string | null): Json {
  return {
    _object: "/shipment_node",
    tags: ["port_of_loading"],
    place: { _object: "/place", name, address: { _object: "/address", unlocode } },
    terminal: null,
  };
}

function event(id: number, type: string, occurredAt: string | null, data: Json): Buffer {
  const body: Json = { _object: "/event", id, version: 2, created_at: occurredAt ?? at(500), type };
  if (occurredAt !== null) body.occurred_at = occurredAt;
  body.data = { _object: "/shipment_event_data", location: null, containers: [], ...data };
  return Buffer.from(JSON.stringify(body));
}

/** Edge cases the real-shaped corpora may lack, each with a known answer. */
function scenarioEvents(): Buffer[] {
  const held = shipment(9_100_001, { estimated_arrival_date: "2025-06-01T08:00:00.000-07:00" });
  const heldLater = shipment(9_100_001, { estimated_arrival_date: null });
  const released = shipment(9_100_002, { transportation_mode: "air" });
  const returned = shipment(9_100_003);
  const delayed = shipment(9_100_004);
  const billed = shipment(9_100_005);
  const tied = shipment(9_100_006);
  const odd = shipment(9_100_007);
  const onShipment = (s: Json) => ({ resource: s, shipment: s });
  return [
    // 9100001: a hold with no release → open customs hold.
    event(9_000_001, "/shipment#created", at(1), onShipment(held)),
    // A leg event that names its shipment only by reference.
    event(9_000_002, "/shipment_leg#departed", at(2), {
      resource: { _object: "/shipment_leg", id: 71, shipment: { ref_type: "/shipment", id: 9_100_001 } },
      shipment: null,
      location: place("Busan, South Korea", "KRPUS"),
    }),
    event(
      9_000_003,
      "/shipment#customs_entry_release_status_document_required",
      at(3),
      onShipment(heldLater),
    ),
    // 9100002: hold, release, delivery → delivered, nothing open; containers with gaps and non-objects.
    event(9_000_011, "/shipment#customs_entry_release_status_under_cbp_review", at(1), {
      ...onShipment(released),
      containers: [
        "ZZZU0000000",
        7,
        { container_number: "ABCU1234567" },
        { container_number: null },
        { container_number: "XYZU7654321" },
      ],
    }),
    event(9_000_012, "/shipment#customs_entry_release_status_released", at(2), {
      ...onShipment(released),
      containers: null,
    }),
    event(9_000_013, "/shipment#delivered_in_full", at(3), {
      ...onShipment(released),
      location: place("Customer warehouse", null),
    }),
    // 9100003: delivered, then an exception → the exception is open.
    event(9_000_021, "/shipment#delivered_in_full", at(1), onShipment(returned)),
    event(9_000_022, "/shipment#returned_to_shipper", at(2), onShipment(returned)),
    // 9100004: a delay, then delivery → delivered.
    event(9_000_031, "/shipment#weather_delay", at(1), onShipment(delayed)),
    event(9_000_032, "/shipment#delivered_in_full", at(2), onShipment(delayed)),
    // 9100005: only invoices → the latest milestone is an invoice after all.
    event(9_000_041, "/invoice#invoice_shared", at(1), {
      resource: { _object: "/invoice", id: "INVabc" },
      shipment: billed,
    }),
    event(9_000_042, "/invoice#invoice_payment_made", at(2), {
      resource: { _object: "/invoice", id: "INVabc" },
      shipment: billed,
    }),
    // 9100006: two events at the same time; the higher id (1000, not "999") is the latest.
    event(999, "/shipment_leg#departed", at(1), {
      resource: { _object: "/shipment_leg", id: 72 },
      shipment: tied,
    }),
    event(1000, "/shipment_leg#arrived", at(1), {
      resource: { _object: "/shipment_leg", id: 72 },
      shipment: tied,
    }),
    // 9100007: an unknown type without containers or location, and an event without occurred_at.
    event(9_000_061, "/shipment#teleported", at(1), { resource: odd, shipment: odd, containers: undefined }),
    event(9_000_062, "/shipment#booking_confirmed", null, onShipment(odd)),
    // An invoice that belongs to no shipment.
    event(9_000_071, "/invoice#invoice_voided", at(4), {
      resource: { _object: "/invoice", id: "INVxyz" },
      shipment: null,
    }),
  ];
}

/** A fixture body as the receive path hands it to a store. */
export function toVerified(bytes: Buffer): VerifiedEvent {
  const parsed = parseEnvelope(bytes);
  if (!parsed.ok) throw new Error(`fixture is not an event: ${parsed.message}`);
  return {
    ...parsed.envelope,
    payload: parsed.text,
    payloadSha256: createHash("sha256").update(bytes).digest("hex"),
    signatureAlg: "sha256",
    source: "webhook",
    sourceName: "default",
    api: "freight",
  };
}

/** The project's samples, the external corpus when present, then the scenarios; one per id. */
export function viewTestEvents(): VerifiedEvent[] {
  const bodies: Buffer[] = [];
  if (existsSync(SAMPLES_DIR)) bodies.push(...loadSamples().map((s) => s.bytes));
  const corpus = conformanceCorpus();
  if (corpus) bodies.push(...corpus.entries.map((e) => corpus.read(e.file)));
  bodies.push(...scenarioEvents());
  const byId = new Map<string, VerifiedEvent>();
  for (const body of bodies) {
    const verified = toVerified(body);
    if (!byId.has(verified.id)) byId.set(verified.id, verified);
  }
  return [...byId.values()];
}

// ---- Reading the views raw, with only the differences between drivers taken out.

const BOOLEAN_COLUMNS = new Set(["delivered", "customs_hold_open", "exception_open"]);

function normalise(row: Json): Json {
  const out: Json = {};
  for (const [key, value] of Object.entries(row)) {
    if (value instanceof Date) out[key] = value.toISOString();
    else if (BOOLEAN_COLUMNS.has(key) && typeof value === "number") out[key] = value === 1;
    else if (typeof value === "bigint") out[key] = Number(value);
    else out[key] = value;
  }
  return out;
}

/** A view's rows, ordered by `key` as a number, with the drivers' differences taken out. */
export async function viewRows(store: EventStore, view: string, key: string): Promise<Json[]> {
  const rows = await sqlRows<Json>(
    store,
    `SELECT * FROM ${view} ORDER BY length(${key}), ${key}`,
    ' COLLATE "C"',
  );
  return rows.map(normalise);
}
