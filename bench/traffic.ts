import { createHmac } from "node:crypto";
import { existsSync } from "node:fs";
import { loadSamples, SAMPLES_DIR } from "../src/samples/samples.js";

/** One pre-built delivery: exact bytes and the headers Flexport would send with them. */
export interface Delivery {
  readonly id: string;
  readonly kind: "new" | "redelivery" | "bad_signature";
  readonly body: Buffer;
  readonly headers: Record<string, string>;
}

export interface TrafficOptions {
  readonly count: number;
  /** First event id; runs against one database use disjoint ranges so every id is new. */
  readonly idBase: number;
  readonly seed: number;
  readonly secret: string;
  /** Fraction of deliveries that repeat an earlier one byte for byte (default 0.05). */
  readonly redeliveryRate?: number;
  /** Fraction signed with the wrong secret (default 0.01). */
  readonly badSignatureRate?: number;
  /** Every body this size instead of the realistic mix (the 8 MiB case). */
  readonly fixedBytes?: number;
  /**
   * New events per shipment (default 20, as in the dashboard's benchmark): consecutive new
   * events share a shipment id, so the dashboard's summaries see shipments of a real size
   * rather than a handful of templates' shipments with thousands of events each.
   */
  readonly eventsPerShipment?: number;
}

/** A small seeded PRNG (mulberry32), so every run sends the same mix. */
export function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Shipment ids of generated events start here (plus the run's id base), far from the samples' own. */
const SHIPMENT_ID_BASE = 90_000_000_000;

const TYPES = [
  "/shipment_leg#departed",
  "/shipment_leg#arrived",
  "/shipment#milestone",
  "/container#milestone",
  "/shipment#booked",
  "/commercial_invoice#created",
];

/**
 * Sizes mostly 2–5 KB, a few small ones and a tail up to ~50 KB: what a day of Flexport
 * milestones looks like (vessel arrivals carry many containers).
 */
export function pickSize(random: () => number): number {
  const r = random();
  if (r < 0.1) return 1000 + Math.floor(random() * 1000);
  if (r < 0.85) return 2000 + Math.floor(random() * 3000);
  if (r < 0.97) return 5000 + Math.floor(random() * 15_000);
  return 20_000 + Math.floor(random() * 30_000);
}

interface Template {
  readonly base: Record<string, unknown>;
  /** Compact JSON size before padding: a template serves only event sizes at least this large. */
  readonly bytes: number;
}

/**
 * The project's own samples (samples/flexport) when present, plus events in the shape of
 * the test fixtures' makeEvent: the samples are 6–11 KB, so the small events that make up
 * most of the mix come from the latter, padded with containers.
 */
function templates(): Template[] {
  const found: Template[] = [];
  if (existsSync(SAMPLES_DIR)) {
    for (const sample of loadSamples()) {
      try {
        const value = JSON.parse(sample.bytes.toString("utf8")) as unknown;
        if (typeof value === "object" && value !== null && !Array.isArray(value) && "type" in value) {
          found.push({ base: value as Record<string, unknown>, bytes: JSON.stringify(value).length });
        }
      } catch {
        // not an event object (a list, a note): not usable as a template
      }
    }
  }
  return [...found, ...syntheticTemplates()];
}

function syntheticTemplates(): Template[] {
  return TYPES.map((type, index) => ({
    bytes: 0,
    base: {
      _object: "/event",
      id: 0,
      version: 2,
      created_at: "2024-03-04T10:00:00.000Z",
      occurred_at: "2024-03-04T09:58:00.000Z",
      type,
      data: {
        _object: "/shipment_event_data",
        resource: { _object: "/shipment_leg", id: 555_001 + index },
        shipment: { _object: "/shipment", id: 2_700_001 + index, name: `Shipment FLEX-${1000 + index}` },
        location: { _object: "/place", name: "Port of Los Angeles", unlocode: "USLAX" },
        containers: [],
      },
    },
  }));
}

function container(n: number): Record<string, unknown> {
  return {
    _object: "/ocean/shipment_container",
    id: 880_000 + n,
    container_number: `MSCU${String(1_000_000 + n).padStart(7, "0")}`,
    container_type: n % 3 === 0 ? "dry_40ft_hc" : "dry_20ft",
    seal_number: `SL${400_000 + n}`,
    milestones: [{ _object: "/ocean/milestone", type: "gate_in", occurred_at: "2024-03-03T18:20:00.000Z" }],
  };
}

/**
 * A JSON text split around the id, padded with containers up to about `bytes`, so a new
 * event costs one string concatenation and one HMAC rather than a JSON.stringify.
 */
interface Shape {
  readonly prefix: string;
  readonly suffix: string;
  /** The template's shipment id, as a pattern matching it as a whole number in the text. */
  readonly shipmentId: RegExp | undefined;
}

function shipmentIdPattern(base: Record<string, unknown>): RegExp | undefined {
  const data = base.data as Record<string, Record<string, unknown> | undefined> | undefined;
  const shipment = data?.shipment ?? (data?.resource?._object === "/shipment" ? data.resource : undefined);
  const id = shipment?.id;
  return typeof id === "number" || typeof id === "string"
    ? new RegExp(`(?<![0-9])${String(id).replace(/[^0-9A-Za-z]/g, "")}(?![0-9])`, "g")
    : undefined;
}

function shapeFor(template: Template, type: string, bytes: number): Shape {
  const base = structuredClone(template.base);
  const data = (typeof base.data === "object" && base.data !== null ? base.data : {}) as Record<
    string,
    unknown
  >;
  base.data = data;
  const containers = Array.isArray(data.containers) ? [...(data.containers as unknown[])] : [];
  data.containers = containers;
  base.type = base.type ?? type;
  const marker = "__PORTCALL_BENCH_ID__";
  const { id: _drop, ...rest } = base;
  const ordered = { _object: rest._object ?? "/event", id: marker, ...rest };
  let text = JSON.stringify(ordered);
  // Padding by real-shaped containers rather than filler keeps parsing cost realistic.
  const each = JSON.stringify(container(0)).length + 1;
  const needed = Math.max(0, Math.floor((bytes - text.length) / each));
  for (let n = 0; n < needed; n++) containers.push(container(n));
  text = JSON.stringify(ordered);
  while (text.length > bytes && containers.length > 0) {
    containers.pop();
    text = JSON.stringify(ordered);
  }
  const at = text.indexOf(`"${marker}"`);
  return {
    prefix: text.slice(0, at),
    suffix: text.slice(at + marker.length + 2),
    shipmentId: shipmentIdPattern(base),
  };
}

/** Pre-generates `count` signed deliveries with unique ids, redeliveries and bad signatures mixed in. */
export function generateTraffic(options: TrafficOptions): Delivery[] {
  const random = createRandom(options.seed);
  const redeliveryRate = options.redeliveryRate ?? 0.05;
  const badRate = options.badSignatureRate ?? 0.01;
  const bases = templates();
  // Shapes are cached per (template, size bucket of 250 bytes): a few hundred JSON texts.
  const shapes = new Map<string, Shape>();
  const perShipment = options.eventsPerShipment ?? 20;
  let newEvents = 0;
  const deliveries: Delivery[] = [];
  let nextId = options.idBase;
  for (let i = 0; i < options.count; i++) {
    const roll = random();
    if (roll < redeliveryRate && deliveries.length > 0) {
      const earlier = deliveries[Math.floor(random() * deliveries.length)];
      if (earlier !== undefined && earlier.kind !== "bad_signature") {
        deliveries.push({ ...earlier, kind: "redelivery" });
        continue;
      }
    }
    const bytes = options.fixedBytes ?? pickSize(random);
    const fitting = bases.filter((t) => t.bytes <= bytes);
    const template = fitting[Math.floor(random() * fitting.length)];
    if (template === undefined) throw new Error("no event template");
    const templateIndex = bases.indexOf(template);
    const type = TYPES[Math.floor(random() * TYPES.length)] ?? "/shipment#milestone";
    const bucket = options.fixedBytes ?? Math.round(bytes / 250) * 250;
    const key = `${templateIndex}:${bucket}`;
    let shape = shapes.get(key);
    if (shape === undefined) {
      shape = shapeFor(template, type, bucket);
      shapes.set(key, shape);
    }
    const id = String(nextId++);
    const shipment = String(SHIPMENT_ID_BASE + options.idBase + Math.floor(newEvents++ / perShipment));
    const suffix =
      shape.shipmentId === undefined ? shape.suffix : shape.suffix.replace(shape.shipmentId, shipment);
    const body = Buffer.from(`${shape.prefix}${id}${suffix}`, "utf8");
    const bad = roll >= redeliveryRate && roll < redeliveryRate + badRate;
    deliveries.push({
      id,
      kind: bad ? "bad_signature" : "new",
      body,
      headers: {
        "content-type": "application/json",
        ...sign(body, bad ? `${options.secret}-wrong` : options.secret),
      },
    });
  }
  return deliveries;
}

export function sign(body: Uint8Array, secret: string): Record<string, string> {
  return {
    "x-hub-signature-256": `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`,
  };
}
