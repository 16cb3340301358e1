import type { EventStore } from "../stores/store.js";
import type { Outbox } from "./outbox.js";

/** The outbox of a store's database; the dialect's module loads only when needed. */
export async function openOutbox(store: EventStore): Promise<Outbox> {
  const handle = (store as unknown as { database: unknown }).database;
  if (store.dialect === "sqlite") {
    const { SqliteOutbox } = await import("./sqlite-outbox.js");
    return new SqliteOutbox((handle as { name: string }).name);
  }
  const { PostgresOutbox } = await import("./postgres-outbox.js");
  return new PostgresOutbox(handle as import("pg").Pool);
}
