import type Database from "better-sqlite3";
import { createShipmentReports, type ShipmentReports } from "../reports.js";
import { createSqliteDashboardReports } from "./sqlite-dashboard-reports.js";

/** The reports on the store's read connection; SQLite sorts text by bytes already. */
export function createSqliteReports(db: Database.Database): ShipmentReports {
  return {
    ...createSqliteDashboardReports(db),
    ...createShipmentReports({
      all: async (sql, params) => db.prepare<unknown[], Record<string, unknown>>(sql).all(...params),
      param: "?",
      byteOrder: "",
    }),
  };
}
