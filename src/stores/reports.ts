import { plainRow } from "./plain-row.js";

export const SHIPMENT_STATUSES = ["delivered", "in-transit", "exception"] as const;

export type ShipmentStatus = (typeof SHIPMENT_STATUSES)[number];

/** One row of the `flexport_shipment_status` view; timestamps as ISO-8601 UTC text. */
export interface ShipmentStatusRow {
  readonly shipment_id: string;
  readonly shipment_name: string | null;
  readonly transportation_mode: string | null;
  readonly status: ShipmentStatus;
  readonly latest_milestone_type: string;
  readonly latest_milestone_label: string;
  readonly latest_milestone_category: string;
  readonly latest_milestone_at: string | null;
  readonly latest_location_name: string | null;
  readonly latest_location_code: string | null;
  readonly estimated_departure_date: string | null;
  readonly actual_departure_date: string | null;
  readonly estimated_arrival_date: string | null;
  readonly actual_arrival_date: string | null;
  readonly delivered: boolean;
  readonly delivered_at: string | null;
  readonly customs_hold_open: boolean;
  readonly last_customs_hold_at: string | null;
  readonly last_customs_release_at: string | null;
  readonly exception_open: boolean;
  readonly last_exception_label: string | null;
  readonly last_exception_at: string | null;
  readonly event_count: number;
  readonly first_event_at: string | null;
  readonly last_event_at: string | null;
}

/** One row of the `flexport_milestones` view; timestamps as ISO-8601 UTC text. */
export interface MilestoneRow {
  readonly event_id: string;
  readonly type: string;
  readonly label: string;
  readonly category: string;
  readonly effect: string | null;
  readonly occurred_at: string | null;
  readonly created_at: string | null;
  readonly resource_object: string | null;
  readonly resource_id: string | null;
  readonly shipment_id: string | null;
  readonly shipment_name: string | null;
  readonly transportation_mode: string | null;
  readonly location_name: string | null;
  readonly location_code: string | null;
  readonly container_numbers: string | null;
  readonly estimated_departure_date: string | null;
  readonly actual_departure_date: string | null;
  readonly estimated_arrival_date: string | null;
  readonly actual_arrival_date: string | null;
}

/** Read-only answers from the milestone views of one store. */
export interface ShipmentReports {
  /** Shipments, most recently active first; only those with `status` when given. */
  shipments(filter: { readonly status?: ShipmentStatus | undefined }): Promise<ShipmentStatusRow[]>;
  /** A shipment's events in order of occurrence (events without a time first). */
  timeline(shipmentId: string): Promise<MilestoneRow[]>;
}

/** What a dialect gives the reports: how it runs a query and spells a parameter and a byte-order sort. */
export interface ReportsDialect {
  all(sql: string, params: readonly unknown[]): Promise<Record<string, unknown>[]>;
  /** The first parameter: `?` or `$1`. */
  readonly param: string;
  /** Appended to a text sort key so ids sort by bytes, as SQLite does by default. */
  readonly byteOrder: string;
}

/** The reports over the milestone views, the same SQL in both dialects but for `dialect`'s spelling. */
export function createShipmentReports(dialect: ReportsDialect): ShipmentReports {
  const { param, byteOrder } = dialect;
  return {
    async shipments(filter) {
      const rows = await dialect.all(
        `SELECT * FROM flexport_shipment_status
         ${filter.status === undefined ? "" : `WHERE status = ${param}`}
         ORDER BY last_event_at DESC NULLS LAST, length(shipment_id), shipment_id${byteOrder}`,
        filter.status === undefined ? [] : [filter.status],
      );
      return rows.map((row) => normaliseRow<ShipmentStatusRow>(row));
    },

    async timeline(shipmentId) {
      const rows = await dialect.all(
        `SELECT * FROM flexport_milestones WHERE shipment_id = ${param}
         ORDER BY COALESCE(occurred_at, created_at) NULLS FIRST, length(event_id), event_id${byteOrder}`,
        [shipmentId],
      );
      return rows.map((row) => normaliseRow<MilestoneRow>(row));
    },
  };
}

const STATUS_BOOLEANS = ["delivered", "customs_hold_open", "exception_open"] as const;

/** A row of either view as plain JSON values, whichever dialect read it. */
export function normaliseRow<T>(row: Record<string, unknown>): T {
  return plainRow<T>(row, STATUS_BOOLEANS);
}
