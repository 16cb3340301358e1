import type Database from "better-sqlite3";
import { type MilestoneRow, normaliseRow, type ShipmentReports, type ShipmentStatusRow } from "../reports.js";

export function createSqliteReports(db: Database.Database): ShipmentReports {
  return {
    async shipments(filter) {
      const rows = db
        .prepare<unknown[], Record<string, unknown>>(
          `SELECT * FROM flexport_shipment_status
           ${filter.status === undefined ? "" : "WHERE status = ?"}
           ORDER BY last_event_at DESC NULLS LAST, length(shipment_id), shipment_id`,
        )
        .all(...(filter.status === undefined ? [] : [filter.status]));
      return rows.map((row) => normaliseRow<ShipmentStatusRow>(row));
    },

    async timeline(shipmentId) {
      const rows = db
        .prepare<[string], Record<string, unknown>>(
          `SELECT * FROM flexport_milestones WHERE shipment_id = ?
           ORDER BY COALESCE(occurred_at, created_at) NULLS FIRST, length(event_id), event_id`,
        )
        .all(shipmentId);
      return rows.map((row) => normaliseRow<MilestoneRow>(row));
    },
  };
}
