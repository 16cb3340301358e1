import type pg from "pg";
import { type MilestoneRow, normaliseRow, type ShipmentReports, type ShipmentStatusRow } from "../reports.js";

export function createPostgresReports(pool: pg.Pool): ShipmentReports {
  return {
    async shipments(filter) {
      const { rows } = await pool.query(
        `SELECT * FROM flexport_shipment_status
         ${filter.status === undefined ? "" : "WHERE status = $1"}
         ORDER BY last_event_at DESC NULLS LAST, length(shipment_id), shipment_id COLLATE "C"`,
        filter.status === undefined ? [] : [filter.status],
      );
      return rows.map((row) => normaliseRow<ShipmentStatusRow>(row));
    },

    async timeline(shipmentId) {
      const { rows } = await pool.query(
        `SELECT * FROM flexport_milestones WHERE shipment_id = $1
         ORDER BY COALESCE(occurred_at, created_at) NULLS FIRST, length(event_id), event_id COLLATE "C"`,
        [shipmentId],
      );
      return rows.map((row) => normaliseRow<MilestoneRow>(row));
    },
  };
}
