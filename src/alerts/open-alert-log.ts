import type { EventStore } from "../stores/store.js";
import type { AlertLog } from "./alert-log.js";

/** The alert log of a store's database; the dialect's module loads only when needed. */
export async function openAlertLog(store: EventStore): Promise<AlertLog> {
  const handle = (store as unknown as { database: unknown }).database;
  if (store.dialect === "sqlite") {
    const { SqliteAlertLog } = await import("./sqlite-alert-log.js");
    return new SqliteAlertLog((handle as { name: string }).name);
  }
  const { PostgresAlertLog } = await import("./postgres-alert-log.js");
  return new PostgresAlertLog(handle as import("pg").Pool);
}
