import { existsSync, readFileSync } from "node:fs";
import { packagePath } from "../../src/paths.js";

/**
 * The external Flexport conformance corpus, when present: PORTCALL_FIXTURES_DIR, or the
 * corpus folder beside the repository. Tests that use it skip without it; the project's
 * own samples (samples/flexport) cover the same ground either way.
 */
export const CONFORMANCE_DIR =
  process.env.PORTCALL_FIXTURES_DIR ?? packagePath("..", "shared", "fixtures", "flexport");

export interface ConformanceEntry {
  readonly file: string;
  readonly id: number;
  readonly id_str: string;
  readonly type: string;
  readonly occurred_at: string | null;
  readonly shipment_id: number | null;
  readonly resource_object: string;
  readonly bytes: number;
  readonly sha256: string;
}

export function conformanceCorpus(): { entries: ConformanceEntry[]; read(file: string): Buffer } | undefined {
  const manifest = `${CONFORMANCE_DIR}/manifest.json`;
  if (!existsSync(manifest)) return undefined;
  return {
    entries: JSON.parse(readFileSync(manifest, "utf8")) as ConformanceEntry[],
    read: (file) => readFileSync(`${CONFORMANCE_DIR}/${file}`),
  };
}

export interface SignatureVector {
  readonly name: string;
  readonly secret: string;
  readonly body: string;
  readonly body_file?: string;
  readonly x_hub_signature: string;
  readonly x_hub_signature_256: string;
}

export function signatureVectors(): SignatureVector[] | undefined {
  const path = `${CONFORMANCE_DIR}/signature-vectors.json`;
  return existsSync(path) ? (JSON.parse(readFileSync(path, "utf8")) as SignatureVector[]) : undefined;
}

/** A small real-shaped Flexport event, with the fields a test wants to vary. */
export function makeEvent(
  fields: { id?: unknown; type?: unknown; occurred_at?: string; shipmentId?: number } = {},
): string {
  return JSON.stringify({
    _object: "/event",
    id: fields.id ?? 7_000_001,
    version: 2,
    created_at: "2024-03-04T10:00:00.000Z",
    occurred_at: fields.occurred_at ?? "2024-03-04T09:58:00.000Z",
    type: fields.type ?? "/shipment_leg#departed",
    data: {
      _object: "/shipment_event_data",
      resource: { _object: "/shipment_leg", id: 555_001 },
      shipment: { _object: "/shipment", id: fields.shipmentId ?? 2_700_001, name: "Test shipment" },
      location: null,
      containers: [],
    },
  });
}
