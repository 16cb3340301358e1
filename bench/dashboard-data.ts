import { loadSamples } from "../src/samples/samples.js";

/**
 * A deterministic fleet for the dashboard benchmark: `shipments` shipments with
 * `eventsPerShipment` events each, real-shaped (every body is one of portcall's samples
 * with its ids, names, references, places and dates rewritten), in the order they happened.
 */
export interface FleetEvent {
  readonly body: Buffer;
  readonly shipmentId: number;
  readonly occurredAt: number;
}

type Json = Record<string, unknown>;

const SHIPMENT_TYPES = [
  "/shipment#created",
  "/shipment#booking_confirmed",
  "/shipment#customs_entry_release_status_released",
  "/shipment#delivered_in_full",
  "/shipment#weather_delay",
  "/shipment#customs_entry_release_status_document_required",
];
const LEG_TYPES = [
  "/shipment_leg#departed",
  "/shipment_leg#updated_estimated_time_of_arrival",
  "/shipment_leg#arrived",
  "/shipment_leg#delivery_appointment_scheduled",
  "/shipment_leg#delivered",
];
const CONTAINER_TYPES = [
  "/ocean/shipment_container_leg#loaded_on_board",
  "/ocean/shipment_container_leg#unloaded_off_board",
  "/ocean/shipment_container_leg#available_for_pickup",
  "/ocean/shipment_container#empty_returned",
];

/** A shipment's life: 20 steps; which step carries an exception or a hold depends on the shipment. */
function lifecycle(k: number): string[] {
  const steps = [
    "/shipment#created",
    "/shipment#booking_confirmed",
    "/shipment_leg#updated_estimated_time_of_arrival",
    "/ocean/shipment_container_leg#loaded_on_board",
    "/shipment_leg#departed",
    "/shipment_leg#updated_estimated_time_of_arrival",
    k % 5 === 0 ? "/shipment#weather_delay" : "/shipment_leg#updated_estimated_time_of_arrival",
    "/shipment_leg#updated_estimated_time_of_arrival",
    "/shipment_leg#arrived",
    "/ocean/shipment_container_leg#unloaded_off_board",
    k % 7 === 0
      ? "/shipment#customs_entry_release_status_document_required"
      : "/shipment#customs_entry_release_status_released",
    "/ocean/shipment_container_leg#available_for_pickup",
    "/shipment_leg#delivery_appointment_scheduled",
    "/shipment_leg#delivered",
    k % 3 === 0 ? "/shipment_leg#delivered" : "/shipment#delivered_in_full",
    "/ocean/shipment_container#empty_returned",
    "/invoice#invoice_shared",
    "/ocean/shipment_container_leg#available_for_pickup",
    "/invoice#invoice_payment_made",
    "/shipment_leg#arrived",
  ];
  return steps;
}

function templates(): Record<"shipment" | "leg" | "container" | "invoice", Json> {
  const byType = new Map(
    loadSamples().map((s) => {
      const json = JSON.parse(s.bytes.toString("utf8")) as Json;
      return [String(json.type), json];
    }),
  );
  const pick = (type: string) => {
    const found = byType.get(type);
    if (found === undefined) throw new Error(`no sample of type ${type} to build benchmark events from`);
    return found;
  };
  return {
    shipment: pick("/shipment#created"),
    leg: pick("/shipment_leg#departed"),
    container: pick("/ocean/shipment_container_leg#loaded_on_board"),
    invoice: pick("/invoice#invoice_shared"),
  };
}

const DAY = 86_400_000;
const T0 = Date.parse("2025-01-06T00:00:00.000Z");

function localIso(ms: number, offsetHours: number): string {
  const shifted = new Date(ms + offsetHours * 3_600_000).toISOString().replace("Z", "");
  const sign = offsetHours < 0 ? "-" : "+";
  return `${shifted}${sign}${String(Math.abs(offsetHours)).padStart(2, "0")}:00`;
}

export function generateFleet(shipments: number, eventsPerShipment: number): FleetEvent[] {
  const t = templates();
  const events: FleetEvent[] = [];
  let nextId = 50_000_000;
  for (let k = 0; k < shipments; k += 1) {
    const shipmentId = 4_000_000 + k;
    const start = T0 + (k % 300) * DAY * 0.4 + (k % 17) * 3_600_000;
    let eta = start + 25 * DAY;
    const etd = start + 5 * DAY;
    const containers = [`BNCH${String(k).padStart(6, "0")}1`, `BNCH${String(k).padStart(6, "0")}2`];
    const steps = lifecycle(k).slice(0, eventsPerShipment);
    while (steps.length < eventsPerShipment) steps.push("/shipment_leg#updated_estimated_time_of_arrival");
    steps.forEach((type, step) => {
      const occurredAt = start + step * 1.6 * DAY;
      if (type === "/shipment_leg#updated_estimated_time_of_arrival") eta += ((k + step) % 4) * 0.5 * DAY;
      const departed = step >= 4;
      const arrived = step >= 8;
      const shipment: Json = {
        ...((t.shipment.data as Json).resource as Json),
        id: shipmentId,
        name: `BNCH PO-${k} Shipment ${k % 97 === 0 ? "<b>bold</b>" : "furniture"} (${k % 3 === 0 ? "air" : "2x40HC"})`,
        transportation_mode: k % 3 === 0 ? "air" : "ocean",
        metadata: { purchase_order: [`PO-B${k}`, `PO-B${k}-2`] },
        estimated_departure_date: localIso(etd, 8),
        actual_departure_date: departed ? localIso(etd + 3 * 3_600_000, 8) : null,
        estimated_arrival_date: step >= 2 ? localIso(eta, -8) : null,
        actual_arrival_date: arrived ? localIso(eta + 2 * 3_600_000, -8) : null,
        ocean_shipment: {
          _object: "/ocean/shipment",
          house_bill_number: `HBL${shipmentId}`,
          master_bill_number: `MBL${k}`,
        },
      };
      const family = SHIPMENT_TYPES.includes(type)
        ? t.shipment
        : LEG_TYPES.includes(type)
          ? t.leg
          : CONTAINER_TYPES.includes(type)
            ? t.container
            : t.invoice;
      const data = family.data as Json;
      const resource =
        family === t.shipment
          ? shipment
          : {
              ...(data.resource as Json),
              id: shipmentId * 10 + step,
              shipment: { _object: "/api/refs/object", id: shipmentId },
            };
      const body = {
        ...family,
        id: nextId++,
        type,
        created_at: new Date(occurredAt + 60_000).toISOString(),
        occurred_at: new Date(occurredAt).toISOString(),
        data: {
          ...data,
          resource,
          shipment,
          containers:
            family === t.invoice
              ? []
              : containers.map((n) => ({ _object: "/ocean/shipment_container", container_number: n })),
        },
      };
      events.push({ body: Buffer.from(JSON.stringify(body)), shipmentId, occurredAt });
    });
  }
  return events.sort((a, b) => a.occurredAt - b.occurredAt);
}
