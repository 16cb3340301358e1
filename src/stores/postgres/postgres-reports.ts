import type pg from "pg";
import { createShipmentReports, type ShipmentReports } from "../reports.js";
import { createPostgresDashboardReports } from "./postgres-dashboard-reports.js";

/** The reports over the store's pool; COLLATE "C" makes ids sort by bytes, as in SQLite. */
export function createPostgresReports(pool: pg.Pool): ShipmentReports {
  return {
    ...createPostgresDashboardReports(pool),
    ...createShipmentReports({
      all: async (sql, params) => (await pool.query(sql, [...params])).rows,
      param: "$1",
      byteOrder: ' COLLATE "C"',
    }),
  };
}
