import type { DashboardReports } from "./dashboard-reports.js";
import type { EventStore } from "./store.js";

/** The dashboard's reports on a store's own database; the dialect's module loads only when needed. */
export async function openDashboardReports(store: EventStore): Promise<DashboardReports> {
  const handle = (store as unknown as { database: unknown }).database;
  if (store.dialect === "sqlite") {
    const { createSqliteDashboardReports } = await import("./sqlite/sqlite-dashboard-reports.js");
    return createSqliteDashboardReports(handle as import("better-sqlite3").Database);
  }
  const { createPostgresDashboardReports } = await import("./postgres/postgres-dashboard-reports.js");
  return createPostgresDashboardReports(handle as import("pg").Pool);
}
