import type pg from "pg";
import {
  BOARD_SORT_COLUMNS,
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
import { searchTermsOfDocument } from "../shipment-search-terms.js";
import {
  BOARD_COLUMNS,
  boardWhere,
  EVENT_CHUNK,
  exportSql,
  FACT_COLUMNS,
  SHIPMENT_CHUNK,
  timerCatchUp,
} from "../summary-sql.js";
import { searchDocumentSql } from "./postgres-search-document.js";
import { inTransaction } from "./postgres-transaction.js";

export function createPostgresDashboardReports(pool: pg.Pool): DashboardReports {
  const all = async <T>(sql: string, params: unknown[] = []): Promise<T[]> => {
    const { rows } = await pool.query(sql, params);
    return rows.map((row) => normaliseRow<T>(row));
  };
  const exports = exportSql("s.enabled", "$1");

  // The ids first, then `= ANY(ids)`: a constant list reaches every arm of a view's UNION
  // ALL as an index lookup, where a subquery would make the planner scan every payload.
  const eventsOf = async (shipmentId: string): Promise<string[]> => {
    const { rows } = await pool.query<{ event_id: string }>(
      "SELECT event_id FROM flexport_shipment_events WHERE shipment_id = $1",
      [shipmentId],
    );
    return rows.map((r) => r.event_id);
  };

  /** One transaction, serialised with every other refresh of this installation. */
  const locked = <T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> =>
    inTransaction(pool, async (client) => {
      // Two receivers (or two browser tabs) may refresh at once; their chunks take turns.
      await client.query("SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.portcall_summary'))");
      // Background work that may read many payloads: the store's statement timeout (sized for
      // deliveries) would fail it every time on a busy shipment, so it gets its own bound.
      await client.query("SET LOCAL statement_timeout = '60s'");
      // The scope table churns (filled and emptied every chunk), so its statistics can say
      // tens of thousands of rows where there are twenty; the estimate then crosses
      // jit_above_cost and compiling the plan took over a second (EXPLAIN ANALYZE at 100k
      // events) for a query that runs in well under a millisecond.
      await client.query("SET LOCAL jit = off");
      return work(client);
    });

  // Step 1: each queued event once → which shipment it belongs to, what it is searched by.
  const foldEvents = () =>
    locked(async (client) => {
      const { rows: queued } = await client.query<{ event_id: string }>(
        "SELECT event_id FROM portcall_summary_queue LIMIT $1",
        [EVENT_CHUNK],
      );
      const ids = queued.map((r) => r.event_id);
      if (ids.length === 0) return 0;
      // The search terms come from a small document PostgreSQL cuts from each payload's
      // jsonb: the payloads themselves never reach this process.
      const { rows: events } = await client.query<{
        event_id: string;
        shipment_id: string | null;
        search_document: unknown;
      }>(
        `SELECT m.event_id, m.shipment_id,
           ${searchDocumentSql("d.data")} AS search_document
         FROM flexport_milestones AS m JOIN flexport_events AS e ON e.id = m.event_id
         CROSS JOIN LATERAL (SELECT e.payload_json -> 'data' AS data OFFSET 0) AS d
         WHERE m.event_id = ANY($1::text[]) AND e.id = ANY($1::text[])`,
        [ids],
      );
      const facts = events.filter((e) => e.shipment_id !== null);
      const terms = facts.map((fact) => searchTermsOfDocument(fact.search_document));
      // The milestone columns are copied here, once per event, so recomputing a shipment
      // later reads this table and no payload.
      await client.query(
        `INSERT INTO flexport_shipment_events (event_id, search_terms, ${FACT_COLUMNS})
         SELECT f.event_id, f.search_terms, ${FACT_COLUMNS.replace(/(\w+)/g, "m.$1")}
         FROM unnest($1::text[], $2::text[]) AS f(event_id, search_terms)
         JOIN flexport_milestones AS m ON m.event_id = f.event_id
         WHERE m.event_id = ANY($1::text[])
         ON CONFLICT (event_id) DO UPDATE SET search_terms = EXCLUDED.search_terms,
           ${FACT_COLUMNS.replace(/(\w+)/g, "$1 = EXCLUDED.$1")}`,
        [facts.map((e) => e.event_id), terms],
      );
      await client.query(
        `INSERT INTO portcall_summary_dirty (shipment_id)
         SELECT DISTINCT s FROM unnest($1::text[]) AS s ON CONFLICT DO NOTHING`,
        [facts.map((e) => e.shipment_id)],
      );
      await client.query(
        `INSERT INTO flexport_shipment_sources (source_name, shipment_id)
         SELECT DISTINCT e.source_name, f.shipment_id FROM flexport_shipment_events AS f
         JOIN flexport_events AS e ON e.id = f.event_id
         WHERE f.event_id = ANY($1::text[]) AND e.id = ANY($1::text[]) ON CONFLICT DO NOTHING`,
        [ids],
      );
      await client.query("DELETE FROM portcall_summary_queue WHERE event_id = ANY($1::text[])", [ids]);
      return ids.length;
    });

  // Step 2: each touched shipment once → its board row, from the status logic over its events.
  const recompute = () =>
    locked(async (client) => {
      const { rows: dirty } = await client.query<{ shipment_id: string }>(
        "SELECT shipment_id FROM portcall_summary_dirty LIMIT $1",
        [SHIPMENT_CHUNK],
      );
      const shipments = dirty.map((r) => r.shipment_id);
      if (shipments.length === 0) return 0;
      await client.query("DELETE FROM portcall_summary_scope");
      await client.query(
        `INSERT INTO portcall_summary_scope (event_id)
         SELECT event_id FROM flexport_shipment_events WHERE shipment_id = ANY($1::text[])`,
        [shipments],
      );
      await client.query("DELETE FROM flexport_shipment_board WHERE shipment_id = ANY($1::text[])", [
        shipments,
      ]);
      await client.query(
        `INSERT INTO flexport_shipment_board (${BOARD_COLUMNS}, search_text)
         SELECT ${BOARD_COLUMNS}, lower(s.shipment_id || ' ' || COALESCE(s.shipment_name, '') || ' ' ||
           COALESCE((SELECT string_agg(DISTINCT f.search_terms, ' ') FROM flexport_shipment_events AS f
                     WHERE f.shipment_id = s.shipment_id AND f.search_terms <> ''), ''))
         FROM portcall_shipment_status_in_scope AS s`,
      );
      await client.query("DELETE FROM portcall_summary_scope");
      await client.query("DELETE FROM portcall_summary_dirty WHERE shipment_id = ANY($1::text[])", [
        shipments,
      ]);
      return shipments.length;
    });

  return {
    async refresh(budgetMs = Number.POSITIVE_INFINITY) {
      // The usual case, nothing new: one round trip, no transaction, no lock.
      const { rows } = await pool.query<{ pending: boolean }>(
        `SELECT EXISTS (SELECT 1 FROM portcall_summary_queue)
           OR EXISTS (SELECT 1 FROM portcall_summary_dirty) AS pending`,
      );
      if (rows[0]?.pending !== true) return 0;
      const deadline = performance.now() + budgetMs;
      let folded = 0;
      for (let n = await foldEvents(); n > 0; n = await foldEvents()) {
        folded += n;
        if (performance.now() > deadline) return folded;
      }
      while ((await recompute()) > 0) if (performance.now() > deadline) return folded;
      return folded;
    },

    startCatchUp(options) {
      return timerCatchUp(this, options);
    },

    async pendingSummaries() {
      const { rows } = await pool.query<{ events: string; shipments: string }>(
        `SELECT (SELECT count(*) FROM portcall_summary_queue) AS events,
           (SELECT count(*) FROM portcall_summary_dirty) AS shipments`,
      );
      return { events: Number(rows[0]?.events ?? 0), shipments: Number(rows[0]?.shipments ?? 0) };
    },

    async board(query) {
      const { sql: where, params } = boardWhere(query, (n) => `$${n}`);
      const direction = query.descending ? "DESC" : "ASC";
      const n = params.length;
      const rows = await all<ShipmentStatusRow>(
        `SELECT ${BOARD_COLUMNS} FROM flexport_shipment_board ${where}
         ORDER BY ${BOARD_SORT_COLUMNS[query.sort]} ${direction} NULLS LAST,
           length(shipment_id) ${direction}, shipment_id COLLATE "C" ${direction}
         LIMIT $${n + 1} OFFSET $${n + 2}`,
        [...params, query.limit, query.offset],
      );
      const { rows: count } = await pool.query<{ n: string }>(
        `SELECT count(*) AS n FROM flexport_shipment_board ${where}`,
        params,
      );
      return { rows: rows.map(numberCount), total: Number(count[0]?.n ?? 0) };
    },

    async statusCounts() {
      const counts = Object.fromEntries(SHIPMENT_STATUSES.map((s) => [s, 0])) as Record<
        ShipmentStatus,
        number
      >;
      const { rows } = await pool.query<{ status: ShipmentStatus; n: string }>(
        "SELECT status, count(*) AS n FROM flexport_shipment_board GROUP BY status",
      );
      for (const row of rows) counts[row.status] = Number(row.n);
      return counts;
    },

    async modes() {
      const { rows } = await pool.query<{ m: string }>(
        `SELECT DISTINCT transportation_mode AS m FROM flexport_shipment_board
         WHERE transportation_mode IS NOT NULL ORDER BY 1`,
      );
      return rows.map((r) => r.m);
    },

    async shipmentSources() {
      const { rows } = await pool.query<{ s: string }>(
        "SELECT DISTINCT source_name AS s FROM flexport_shipment_sources ORDER BY 1",
      );
      return rows.map((r) => r.s);
    },

    async shipment(shipmentId) {
      const rows = await all<ShipmentStatusRow>(
        `SELECT ${BOARD_COLUMNS} FROM flexport_shipment_board WHERE shipment_id = $1`,
        [shipmentId],
      );
      return rows[0] === undefined ? undefined : numberCount(rows[0]);
    },

    async milestones(shipmentId) {
      return all<TimelineRow>(
        `SELECT m.*, (SELECT e.payload_json #>> '{data,location,place,address,timezone}' FROM flexport_events AS e
                      WHERE e.id = m.event_id) AS location_timezone
         FROM flexport_milestones AS m WHERE m.event_id = ANY($1::text[])
         ORDER BY COALESCE(m.occurred_at, m.created_at) NULLS FIRST, length(m.event_id), m.event_id COLLATE "C"`,
        [await eventsOf(shipmentId)],
      );
    },

    async etaEstimates(shipmentId) {
      return all<EtaEstimateRow>(
        `SELECT * FROM flexport_eta_estimates WHERE event_id = ANY($1::text[])
         ORDER BY kind, announced_at, length(event_id), event_id COLLATE "C"`,
        [await eventsOf(shipmentId)],
      );
    },

    async etaHistory(shipmentId) {
      const rows = await all<EtaHistoryRow>(
        `SELECT * FROM flexport_eta_history WHERE shipment_id = $1
         ORDER BY kind, announced_at, length(event_id), event_id COLLATE "C"`,
        [shipmentId],
      );
      return rows.map((r) => ({
        ...r,
        slip_seconds: r.slip_seconds === null ? null : Number(r.slip_seconds),
      }));
    },

    async shipmentOfEvent(eventId) {
      const { rows } = await pool.query<{ shipment_id: string }>(
        "SELECT shipment_id FROM flexport_shipment_events WHERE event_id = $1",
        [eventId],
      );
      return rows[0]?.shipment_id;
    },

    async exportStates(eventId) {
      return all<ExportState>(exports.states, [eventId]);
    },

    async exportBacklog() {
      const rows = await all<ExportBacklog>(exports.backlog);
      return rows.map((r) => ({
        ...r,
        pending: Number(r.pending),
        failing: Number(r.failing),
        dead: Number(r.dead),
      }));
    },

    async deadLetters(limit) {
      return all<DeadLetterRow>(exports.dead, [limit]);
    },

    async lastReceivedAt() {
      const { rows } = await pool.query<{ at: Date | null }>(
        "SELECT max(received_at) AS at FROM flexport_events",
      );
      return rows[0]?.at?.toISOString() ?? null;
    },
  };
}

/** pg returns bigint counts as text. */
function numberCount(row: ShipmentStatusRow): ShipmentStatusRow {
  return { ...row, event_count: Number(row.event_count) };
}
