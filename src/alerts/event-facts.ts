import { DEFAULT_SOURCE } from "../core/event-recorder.js";
import { type Category, describeEventType } from "../milestones/catalogue.js";

/** A container as an alert needs it. */
export interface ContainerFacts {
  readonly number: string;
  /** `last_free_day_date` of the container, ISO-8601, when Flexport sent one. */
  readonly lastFreeDay: string | null;
  readonly deliveredAt: string | null;
  readonly emptyReturnedAt: string | null;
}

/** What rules and messages read from one stored event; derived from its payload only. */
export interface EventFacts {
  readonly id: string;
  readonly type: string;
  readonly label: string;
  readonly category: Category | "other";
  readonly effect: string | null;
  /** How the event reached the store: webhook, backfill or replay. */
  readonly source: string;
  /** The configured source (endpoint) it arrived through; `default` for /webhooks/flexport. */
  readonly sourceName: string;
  /** occurred_at, else created_at (ISO-8601), else null. */
  readonly at: string | null;
  readonly shipmentId: string | null;
  readonly shipmentName: string | null;
  readonly transportationMode: string | null;
  readonly locationName: string | null;
  readonly locationCode: string | null;
  /** The shipment's estimated arrival as this event states it. */
  readonly estimatedArrival: string | null;
  readonly containers: readonly ContainerFacts[];
  /** The parsed payload, for rules that match on other fields. */
  readonly document: unknown;
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | undefined =>
  typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Json) : undefined;
const str = (v: unknown): string | null =>
  typeof v === "string" && v !== "" ? v : typeof v === "number" ? String(v) : null;

/**
 * Reads the facts the same way the milestone views do (sql/<dialect>/003_milestone_views.sql):
 * the shipment from `data.shipment`, or the resource when the resource is the shipment.
 */
export function eventFacts(event: {
  readonly id: string;
  readonly type: string;
  readonly payload: string;
  readonly source?: string | undefined;
  readonly sourceName?: string | undefined;
  readonly occurredAt?: string | null | undefined;
  readonly createdAt?: string | null | undefined;
}): EventFacts {
  let document: unknown;
  try {
    document = JSON.parse(event.payload);
  } catch {
    document = undefined;
  }
  const data = obj(obj(document)?.data);
  const resource = obj(data?.resource);
  const resourceIsShipment = resource?._object === "/shipment";
  const shipment = obj(data?.shipment) ?? (resourceIsShipment ? resource : undefined);
  const shipmentId =
    str(obj(data?.shipment)?.id) ??
    str(obj(resource?.shipment)?.id) ??
    (resourceIsShipment ? str(resource?.id) : null);
  const place = obj(obj(data?.location)?.place);
  const described = describeEventType(event.type);
  const containers = Array.isArray(data?.containers) ? data.containers : [];
  return {
    id: event.id,
    type: event.type,
    label: described.label,
    category: described.category,
    effect: described.effect,
    source: event.source ?? "webhook",
    sourceName: event.sourceName ?? DEFAULT_SOURCE,
    at:
      event.occurredAt ??
      event.createdAt ??
      str(obj(document)?.occurred_at) ??
      str(obj(document)?.created_at),
    shipmentId,
    shipmentName: str(shipment?.name),
    transportationMode: str(shipment?.transportation_mode) ?? str(resource?.transportation_mode),
    locationName: str(place?.name),
    locationCode: str(obj(place?.address)?.unlocode),
    estimatedArrival: str(shipment?.estimated_arrival_date),
    containers: containers.flatMap((c) => {
      const container = obj(c);
      const number = str(container?.container_number);
      if (container === undefined || number === null) return [];
      return [
        {
          number,
          lastFreeDay: str(container.last_free_day_date),
          deliveredAt: str(container.actual_delivery_date),
          emptyReturnedAt: str(container.empty_returned_date),
        },
      ];
    }),
    document,
  };
}
