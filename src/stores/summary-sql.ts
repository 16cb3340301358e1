import type { BoardQuery } from "./reports.js";

/** Queued events folded per transaction: short enough not to hold up deliveries. */
export const EVENT_CHUNK = 500;
/** Shipments recomputed per transaction (each reads all its events). */
export const SHIPMENT_CHUNK = 100;

/** The columns of flexport_shipment_status, in order, as the board table keeps them. */
export const BOARD_COLUMNS = [
  "shipment_id",
  "shipment_name",
  "transportation_mode",
  "status",
  "latest_milestone_type",
  "latest_milestone_label",
  "latest_milestone_category",
  "latest_milestone_at",
  "latest_location_name",
  "latest_location_code",
  "estimated_departure_date",
  "actual_departure_date",
  "estimated_arrival_date",
  "actual_arrival_date",
  "delivered",
  "delivered_at",
  "customs_hold_open",
  "last_customs_hold_at",
  "last_customs_release_at",
  "exception_open",
  "last_exception_label",
  "last_exception_at",
  "event_count",
  "first_event_at",
  "last_event_at",
].join(", ");

/** The board's WHERE clause; `placeholder(n)` writes the dialect's n-th parameter. */
export function boardWhere(
  query: BoardQuery,
  placeholder: (n: number) => string,
): { sql: string; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  const param = (value: unknown) => {
    params.push(value);
    return placeholder(params.length);
  };
  if (query.status !== undefined) where.push(`status = ${param(query.status)}`);
  if (query.mode !== undefined) where.push(`transportation_mode = ${param(query.mode)}`);
  if (query.flag === "customs_hold") where.push("customs_hold_open");
  if (query.flag === "exception") where.push("exception_open");
  if (query.search !== undefined) {
    // LIKE's own wildcards in what a person typed are matched literally.
    const escaped = query.search.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`);
    where.push(`search_text LIKE ${param(`%${escaped}%`)} ESCAPE '\\'`);
  }
  return { sql: where.length > 0 ? `WHERE ${where.join(" AND ")}` : "", params };
}

/** Lets the event loop run other work (deliveries, requests) between two refresh chunks. */
export function yieldTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
