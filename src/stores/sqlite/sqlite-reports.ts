import type Database from "better-sqlite3";
import { type CatchUpOptions, createShipmentReports, type ShipmentReports } from "../reports.js";
import type { BackgroundCatchUp } from "../summary-sql.js";
import { createSqliteDashboardReports } from "./sqlite-dashboard-reports.js";

/**
 * The reports on the store's read connection; SQLite sorts text by bytes already.
 * `background` runs the summaries' catch-up elsewhere (the store's writer thread).
 */
export function createSqliteReports(
  db: Database.Database,
  background?: (options: CatchUpOptions) => BackgroundCatchUp,
): ShipmentReports {
  return {
    ...createSqliteDashboardReports(db, background),
    ...createShipmentReports({
      all: async (sql, params) => db.prepare<unknown[], Record<string, unknown>>(sql).all(...params),
      param: "?",
      byteOrder: "",
    }),
  };
}
