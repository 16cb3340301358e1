import type { BoardQuery, CatchUpOptions, DashboardReports } from "./reports.js";

/** Queued events folded per transaction: short enough not to hold up deliveries. */
export const EVENT_CHUNK = 200;
/** Shipments recomputed per transaction (each reads all its events). */
export const SHIPMENT_CHUNK = 25;

/** The columns of flexport_milestones that flexport_shipment_events keeps per event. */
export const FACT_COLUMNS = [
  "shipment_id",
  "type",
  "occurred_at",
  "created_at",
  "shipment_name",
  "transportation_mode",
  "location_name",
  "location_code",
  "estimated_departure_date",
  "actual_departure_date",
  "estimated_arrival_date",
  "actual_arrival_date",
].join(", ");

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
  if (query.source !== undefined)
    where.push(
      `shipment_id IN (SELECT shipment_id FROM flexport_shipment_sources WHERE source_name = ${param(query.source)})`,
    );
  if (query.flag === "customs_hold") where.push("customs_hold_open");
  if (query.flag === "exception") where.push("exception_open");
  if (query.search !== undefined) {
    // LIKE's own wildcards in what a person typed are matched literally.
    const escaped = query.search.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`);
    where.push(`search_text LIKE ${param(`%${escaped}%`)} ESCAPE '\\'`);
  }
  return { sql: where.length > 0 ? `WHERE ${where.join(" AND ")}` : "", params };
}

/** A running background catch-up of the dashboard's summaries. */
export interface BackgroundCatchUp {
  /** Stops it; resolves once a chunk in progress has finished. */
  stop(): Promise<void>;
}

/**
 * The catch-up on this thread: a slice of `refresh` every `everyMs`. For stores whose folding
 * costs this thread little (PostgreSQL's is round trips) or that have no other thread.
 */
export function timerCatchUp(
  reports: Pick<DashboardReports, "refresh">,
  options: CatchUpOptions,
): BackgroundCatchUp {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  const tick = () => {
    running = reports
      .refresh(options.sliceMs)
      .catch(options.onError)
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, options.everyMs).unref();
      });
  };
  timer = setTimeout(tick, options.everyMs).unref();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}

/** Lets the event loop run other work (deliveries, requests) between two refresh chunks. */
export function yieldTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** The export queries; `enabled` is the dialect's boolean test of portcall_sinks.enabled, `param` its first placeholder. */
export function exportSql(enabled: string, param: string) {
  // Dead letters (dead_at set, migration 004) are neither waiting nor failing.
  const live = " AND o.dead_at IS NULL";
  return {
    states: `SELECT s.name AS sink, s.target,
        CASE WHEN o.event_id IS NULL THEN 'exported' WHEN o.dead_at IS NOT NULL THEN 'dead'
          ELSE 'pending' END AS state,
        COALESCE(o.attempts, 0) AS attempts, o.last_error
      FROM portcall_sinks AS s
      LEFT JOIN portcall_outbox AS o ON o.sink = s.name AND o.event_id = ${param}
      ORDER BY s.name`,
    backlog: `SELECT s.name AS sink, s.target, ${enabled} AS enabled,
        (SELECT count(*) FROM portcall_outbox AS o WHERE o.sink = s.name${live}) AS pending,
        (SELECT count(*) FROM portcall_outbox AS o WHERE o.sink = s.name AND o.attempts > 0${live}) AS failing,
        (SELECT count(*) FROM portcall_outbox AS o WHERE o.sink = s.name AND o.dead_at IS NOT NULL) AS dead,
        (SELECT min(o.enqueued_at) FROM portcall_outbox AS o WHERE o.sink = s.name${live}) AS oldest_enqueued_at,
        s.last_success_at, s.last_error, s.last_error_at
      FROM portcall_sinks AS s ORDER BY s.name`,
    dead: `SELECT sink, event_id, attempts, last_error, dead_at FROM portcall_outbox
      WHERE dead_at IS NOT NULL ORDER BY dead_at DESC, sink, event_id LIMIT ${param}`,
  };
}
