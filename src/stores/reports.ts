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

/** Read-only answers from the milestone views of one store, for the CLI and the dashboard. */
export interface ShipmentReports extends DashboardReports {
  /** Shipments, most recently active first; only those with `status` when given. */
  shipments(filter: { readonly status?: ShipmentStatus | undefined }): Promise<ShipmentStatusRow[]>;
  /** A shipment's events in order of occurrence (events without a time first). */
  timeline(shipmentId: string): Promise<MilestoneRow[]>;
}

export const BOARD_SORTS = ["activity", "name", "status", "mode", "events", "eta"] as const;
export type BoardSort = (typeof BOARD_SORTS)[number];
export const BOARD_FLAGS = ["customs_hold", "exception"] as const;
export type BoardFlag = (typeof BOARD_FLAGS)[number];

/** What the shipments board asks for; every field is already validated. */
export interface BoardQuery {
  readonly status?: ShipmentStatus | undefined;
  readonly mode?: string | undefined;
  readonly flag?: BoardFlag | undefined;
  /** Only shipments with an event that came through this configured source. */
  readonly source?: string | undefined;
  /** Matched case-insensitively against id, name, POs, containers and bills of lading. */
  readonly search?: string | undefined;
  readonly sort: BoardSort;
  readonly descending: boolean;
  readonly offset: number;
  readonly limit: number;
}

export interface BoardPage {
  readonly rows: ShipmentStatusRow[];
  /** Rows matching the filters, over all pages. */
  readonly total: number;
}

/** A milestone with the IANA time zone of its place, for local times. */
export interface TimelineRow extends MilestoneRow {
  readonly location_timezone: string | null;
}

/** One row of `flexport_eta_estimates`: an estimate (or actual) one event carried. */
export interface EtaEstimateRow {
  readonly shipment_id: string;
  readonly kind: "departure" | "arrival";
  readonly event_id: string;
  readonly event_type: string;
  readonly label: string;
  readonly announced_at: string | null;
  readonly estimated: string | null;
  readonly estimated_at: string | null;
  readonly actual: string | null;
  readonly actual_at: string | null;
}

/** One row of `flexport_eta_history`: an estimate that changed. */
export interface EtaHistoryRow extends EtaEstimateRow {
  readonly previous_estimated_at: string | null;
  readonly slip_seconds: number | null;
}

/** Where one event stands with one export sink. */
export interface ExportState {
  readonly sink: string;
  readonly target: string | null;
  /**
   * "pending" while an outbox row is waiting; "dead" when the sink gave up on it (a dead
   * letter); "exported" when the sink has no row for it.
   */
  readonly state: "pending" | "dead" | "exported";
  readonly attempts: number;
  readonly last_error: string | null;
}

/** An outbox row its sink gave up on. */
export interface DeadLetterRow {
  readonly sink: string;
  readonly event_id: string;
  readonly attempts: number;
  readonly last_error: string | null;
  readonly dead_at: string;
}

/** The export outbox per sink. */
export interface ExportBacklog {
  readonly sink: string;
  readonly target: string | null;
  readonly enabled: boolean;
  readonly pending: number;
  readonly failing: number;
  /** Rows the sink gave up on (dead letters). */
  readonly dead: number;
  readonly oldest_enqueued_at: string | null;
  readonly last_success_at: string | null;
  readonly last_error: string | null;
  readonly last_error_at: string | null;
}

export interface CatchUpOptions {
  /** How often a timer-driven catch-up runs a slice. */
  readonly everyMs: number;
  /** How long one slice may fold before it yields. */
  readonly sliceMs: number;
  readonly onError: (error: unknown) => void;
}

/**
 * What the dashboard reads, from one store. `refresh` folds newly stored events into the
 * summaries the board reads (it writes only summary tables, never events).
 */
export interface DashboardReports {
  /**
   * Summarises queued events, then recomputes the shipments they touched; returns how many
   * events it folded in. With a budget it stops after the chunk that passes it (the rest
   * waits for the next call); without, it runs until nothing is left.
   */
  refresh(budgetMs?: number): Promise<number>;
  /**
   * Keeps the summaries caught up in the background until stopped: on SQLite the store's
   * writer thread folds between deliveries, on PostgreSQL a timer on this thread refreshes a
   * slice at a time.
   */
  startCatchUp(options: CatchUpOptions): { stop(): Promise<void> };
  /** Events stored but not summarised yet, and shipments waiting to be recomputed. */
  pendingSummaries(): Promise<{ readonly events: number; readonly shipments: number }>;
  board(query: BoardQuery): Promise<BoardPage>;
  statusCounts(): Promise<Record<ShipmentStatus, number>>;
  modes(): Promise<string[]>;
  /** The configured sources shipments' events came through. */
  shipmentSources(): Promise<string[]>;
  shipment(shipmentId: string): Promise<ShipmentStatusRow | undefined>;
  milestones(shipmentId: string): Promise<TimelineRow[]>;
  etaEstimates(shipmentId: string): Promise<EtaEstimateRow[]>;
  etaHistory(shipmentId: string): Promise<EtaHistoryRow[]>;
  /** The shipment a summarised event belongs to, if any. */
  shipmentOfEvent(eventId: string): Promise<string | undefined>;
  exportStates(eventId: string): Promise<ExportState[]>;
  exportBacklog(): Promise<ExportBacklog[]>;
  /** The latest dead letters (exports given up on), newest first. */
  deadLetters(limit: number): Promise<DeadLetterRow[]>;
  /** The latest first delivery of any stored event. */
  lastReceivedAt(): Promise<string | null>;
}

/** Orders the board: the column each sort reads. Ties break on the shipment id. */
export const BOARD_SORT_COLUMNS: Record<BoardSort, string> = {
  activity: "last_event_at",
  name: "shipment_name",
  status: "status",
  mode: "transportation_mode",
  events: "event_count",
  eta: "estimated_arrival_date",
};

/** What a dialect gives the reports: how it runs a query and spells a parameter and a byte-order sort. */
export interface ReportsDialect {
  all(sql: string, params: readonly unknown[]): Promise<Record<string, unknown>[]>;
  /** The first parameter: `?` or `$1`. */
  readonly param: string;
  /** Appended to a text sort key so ids sort by bytes, as SQLite does by default. */
  readonly byteOrder: string;
}

/** The CLI's two reports; the dashboard's come from each dialect's dashboard reports. */
export type MilestoneReports = Pick<ShipmentReports, "shipments" | "timeline">;

/** The reports over the milestone views, the same SQL in both dialects but for `dialect`'s spelling. */
export function createShipmentReports(dialect: ReportsDialect): MilestoneReports {
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
