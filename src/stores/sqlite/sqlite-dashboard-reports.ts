import type Database from "better-sqlite3";
import { LARGE_PAYLOAD_BYTES } from "../../large-payloads.js";
import {
  BOARD_SORT_COLUMNS,
  type CatchUpOptions,
  type DashboardReports,
  type DeadLetterRow,
  type EtaEstimateRow,
  type EtaHistoryRow,
  type ExportBacklog,
  type ExportState,
  normaliseRow,
  SHIPMENT_STATUSES,
  type ShipmentStatus,
  type ShipmentStatusRow,
  type TimelineRow,
} from "../reports.js";
import { shipmentSearchTerms } from "../shipment-search-terms.js";
import {
  type BackgroundCatchUp,
  BOARD_COLUMNS,
  boardWhere,
  EVENT_CHUNK,
  exportSql,
  FACT_COLUMNS,
  SHIPMENT_CHUNK,
  timerCatchUp,
  yieldTurn,
} from "../summary-sql.js";

/** Payload bytes one fold transaction takes on (at least one event, whatever its size). */
const FOLD_MAX_BYTES = 4 * 1024 * 1024;

const EVENTS_OF = "SELECT event_id FROM flexport_shipment_events WHERE shipment_id = ?";

/**
 * The board's summaries, folded in a chunk at a time, synchronously: the dashboard's pages
 * call it on the read connection before they read, and the store's writer thread calls it
 * between deliveries (sqlite-writer.ts), so the receiver's event loop never waits for it.
 */
export interface SqliteSummaryFold {
  /** Summarises up to `limit` queued events (and about 4 MiB of payloads) in one transaction; returns how many. */
  foldEvents(limit: number): number;
  /** Recomputes up to `limit` touched shipments' board rows in one transaction; returns how many. */
  recomputeShipments(limit: number): number;
}

export function createSqliteSummaryFold(
  db: Database.Database,
  /** Called after a step that read a payload over LARGE_PAYLOAD_BYTES (the writer then collects). */
  onLargePayload?: () => void,
): SqliteSummaryFold {
  const inList = "(SELECT value FROM json_each(?))";
  // With each queued event, its payload's size in bytes (read from the record header, not
  // the payload), so a step can stop before it holds too many large bodies at once.
  const takeEvents = db.prepare<[number], { event_id: string; bytes: number | null }>(
    `SELECT q.event_id, octet_length(e.payload) AS bytes FROM portcall_summary_queue AS q
     LEFT JOIN flexport_events AS e ON e.id = q.event_id LIMIT ?`,
  );
  const takeShipments = db
    .prepare<[number], string>("SELECT shipment_id FROM portcall_summary_dirty LIMIT ?")
    .pluck();
  const shipmentsOf = db.prepare<[string], { event_id: string; shipment_id: string | null }>(
    `SELECT event_id, ${FACT_COLUMNS} FROM flexport_milestones WHERE event_id IN ${inList}`,
  );
  const payloadOf = db.prepare<[string], string>("SELECT payload FROM flexport_events WHERE id = ?").pluck();
  // The milestone columns are copied here, once per event, so recomputing a shipment later
  // reads this table and no payload.
  const addFact = db.prepare(
    `INSERT OR REPLACE INTO flexport_shipment_events (event_id, search_terms, ${FACT_COLUMNS})
     VALUES (@event_id, @search_terms, ${FACT_COLUMNS.replace(/(\w+)/g, "@$1")})`,
  );
  const markDirty = db.prepare("INSERT OR IGNORE INTO portcall_summary_dirty (shipment_id) VALUES (?)");
  const dequeue = db.prepare(`DELETE FROM portcall_summary_queue WHERE event_id IN ${inList}`);
  const addSources = db.prepare(
    `INSERT OR IGNORE INTO flexport_shipment_sources (source_name, shipment_id)
     SELECT e.source_name, f.shipment_id FROM flexport_shipment_events AS f
     JOIN flexport_events AS e ON e.id = f.event_id WHERE f.event_id IN ${inList}`,
  );
  const clearScope = db.prepare("DELETE FROM portcall_summary_scope");
  const fillScope = db.prepare(
    `INSERT INTO portcall_summary_scope (event_id)
     SELECT event_id FROM flexport_shipment_events WHERE shipment_id IN ${inList}`,
  );
  const dropRows = db.prepare(`DELETE FROM flexport_shipment_board WHERE shipment_id IN ${inList}`);
  const addRows = db.prepare(
    `INSERT INTO flexport_shipment_board (${BOARD_COLUMNS}, search_text)
     SELECT ${BOARD_COLUMNS}, lower(s.shipment_id || ' ' || COALESCE(s.shipment_name, '') || ' ' ||
       COALESCE((SELECT group_concat(DISTINCT f.search_terms) FROM flexport_shipment_events AS f
                 WHERE f.shipment_id = s.shipment_id AND f.search_terms <> ''), ''))
     FROM portcall_shipment_status_in_scope AS s`,
  );
  const clean = db.prepare(`DELETE FROM portcall_summary_dirty WHERE shipment_id IN ${inList}`);

  // Step 1: each queued event once → which shipment it belongs to, what it is searched by.
  // Returns whether it read a payload over LARGE_PAYLOAD_BYTES.
  const foldEvents = db.transaction((ids: string[]): boolean => {
    const idList = JSON.stringify(ids);
    let readLarge = false;
    for (const row of shipmentsOf.all(idList)) {
      if (row.shipment_id === null) continue;
      // One payload at a time: a chunk of 8 MiB events held at once (and parsed) cost the
      // receiver over a hundred megabytes.
      const payload = payloadOf.get(row.event_id) ?? "";
      if (payload.length > LARGE_PAYLOAD_BYTES) readLarge = true;
      addFact.run({ ...row, search_terms: shipmentSearchTerms(payload) });
      markDirty.run(row.shipment_id);
    }
    addSources.run(idList);
    dequeue.run(idList);
    return readLarge;
  });
  // Step 2: each touched shipment once → its board row, from the status logic over its events.
  const recompute = db.transaction((shipments: string[]) => {
    const list = JSON.stringify(shipments);
    clearScope.run();
    fillScope.run(list);
    dropRows.run(list);
    addRows.run();
    clearScope.run();
    clean.run(list);
  });

  return {
    foldEvents(limit) {
      const ids: string[] = [];
      let bytes = 0;
      for (const row of takeEvents.all(limit)) {
        if (ids.length > 0 && bytes + (row.bytes ?? 0) > FOLD_MAX_BYTES) break;
        ids.push(row.event_id);
        bytes += row.bytes ?? 0;
      }
      if (ids.length > 0 && foldEvents.immediate(ids)) onLargePayload?.();
      return ids.length;
    },
    recomputeShipments(limit) {
      const ids = takeShipments.all(limit);
      if (ids.length > 0) recompute.immediate(ids);
      return ids.length;
    },
  };
}

/**
 * The dashboard's reads on the store's read connection. `background`, when given, is how
 * the store folds summaries off this thread (its writer thread); without it the catch-up
 * runs here on a timer, as for any caller that has no writer thread (tests, the CLI).
 */
export function createSqliteDashboardReports(
  db: Database.Database,
  background?: (options: CatchUpOptions) => BackgroundCatchUp,
): DashboardReports {
  const fold = createSqliteSummaryFold(db);

  const exports = exportSql("s.enabled = 1", "?");

  const all = <T>(sql: string, ...params: unknown[]): T[] =>
    db
      .prepare<unknown[], Record<string, unknown>>(sql)
      .all(...params)
      .map((row) => normaliseRow<T>(row));

  return {
    async refresh(budgetMs = Number.POSITIVE_INFINITY) {
      // Between chunks of a large catch-up, deliveries (the writer thread waits for this
      // connection's write lock) and other requests get their turn.
      const deadline = performance.now() + budgetMs;
      let folded = 0;
      for (let n = fold.foldEvents(EVENT_CHUNK); n > 0; n = fold.foldEvents(EVENT_CHUNK)) {
        folded += n;
        if (performance.now() > deadline) return folded;
        await yieldTurn();
      }
      while (fold.recomputeShipments(SHIPMENT_CHUNK) > 0) {
        if (performance.now() > deadline) return folded;
        await yieldTurn();
      }
      return folded;
    },

    startCatchUp(options) {
      return background?.(options) ?? timerCatchUp(this, options);
    },

    async pendingSummaries() {
      return (
        db
          .prepare<[], { events: number; shipments: number }>(
            `SELECT (SELECT count(*) FROM portcall_summary_queue) AS events,
             (SELECT count(*) FROM portcall_summary_dirty) AS shipments`,
          )
          .get() ?? { events: 0, shipments: 0 }
      );
    },

    async board(query) {
      const { sql: where, params } = boardWhere(query, () => "?");
      const direction = query.descending ? "DESC" : "ASC";
      const rows = all<ShipmentStatusRow>(
        `SELECT ${BOARD_COLUMNS} FROM flexport_shipment_board ${where}
         ORDER BY ${BOARD_SORT_COLUMNS[query.sort]} ${direction} NULLS LAST,
           length(shipment_id) ${direction}, shipment_id ${direction}
         LIMIT ? OFFSET ?`,
        ...params,
        query.limit,
        query.offset,
      );
      const total =
        db
          .prepare<unknown[], number>(`SELECT count(*) FROM flexport_shipment_board ${where}`)
          .pluck()
          .get(...params) ?? 0;
      return { rows, total };
    },

    async statusCounts() {
      const counts = Object.fromEntries(SHIPMENT_STATUSES.map((s) => [s, 0])) as Record<
        ShipmentStatus,
        number
      >;
      for (const row of db
        .prepare<[], { status: ShipmentStatus; n: number }>(
          "SELECT status, count(*) AS n FROM flexport_shipment_board GROUP BY status",
        )
        .all()) {
        counts[row.status] = row.n;
      }
      return counts;
    },

    async modes() {
      return db
        .prepare<[], string>(
          `SELECT DISTINCT transportation_mode FROM flexport_shipment_board
           WHERE transportation_mode IS NOT NULL ORDER BY 1`,
        )
        .pluck()
        .all();
    },

    async shipmentSources() {
      return db
        .prepare<[], string>("SELECT DISTINCT source_name FROM flexport_shipment_sources ORDER BY 1")
        .pluck()
        .all();
    },

    async shipment(shipmentId) {
      return all<ShipmentStatusRow>(
        `SELECT ${BOARD_COLUMNS} FROM flexport_shipment_board WHERE shipment_id = ?`,
        shipmentId,
      )[0];
    },

    async milestones(shipmentId) {
      return all<TimelineRow>(
        `SELECT m.*, (SELECT e.payload ->> '$.data.location.place.address.timezone' FROM flexport_events AS e
                      WHERE e.id = m.event_id AND json_valid(e.payload)) AS location_timezone
         FROM flexport_milestones AS m WHERE m.event_id IN (${EVENTS_OF})
         ORDER BY COALESCE(m.occurred_at, m.created_at) NULLS FIRST, length(m.event_id), m.event_id`,
        shipmentId,
      );
    },

    async etaEstimates(shipmentId) {
      return all<EtaEstimateRow>(
        `SELECT * FROM flexport_eta_estimates WHERE event_id IN (${EVENTS_OF})
         ORDER BY kind, announced_at, length(event_id), event_id`,
        shipmentId,
      );
    },

    async etaHistory(shipmentId) {
      return all<EtaHistoryRow>(
        `SELECT * FROM flexport_eta_history WHERE shipment_id = ?
         ORDER BY kind, announced_at, length(event_id), event_id`,
        shipmentId,
      );
    },

    async shipmentOfEvent(eventId) {
      return db
        .prepare<[string], string>("SELECT shipment_id FROM flexport_shipment_events WHERE event_id = ?")
        .pluck()
        .get(eventId);
    },

    async exportStates(eventId) {
      return all<ExportState>(exports.states, eventId);
    },

    async exportBacklog() {
      return all<ExportBacklog>(exports.backlog).map((row) => ({
        ...row,
        enabled: Boolean(row.enabled),
      }));
    },

    async deadLetters(limit) {
      return all<DeadLetterRow>(exports.dead, limit);
    },

    async lastReceivedAt() {
      return (
        db.prepare<[], string | null>("SELECT max(received_at) FROM flexport_events").pluck().get() ?? null
      );
    },
  };
}
