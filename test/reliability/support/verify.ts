import type { EventStore } from "../../../src/stores/store.js";
import { sha256 } from "../../helpers/events.js";

export interface StoreCheck {
  /** Acknowledged ids found byte-exact. */
  readonly found: number;
  /** Acknowledged ids missing or not byte-exact. */
  readonly lost: string[];
  /** Rows beyond one per id. */
  readonly duplicated: number;
  /** Rows whose bytes or hash differ from what was sent for that id, or whose id was never sent. */
  readonly corrupt: string[];
  readonly rows: number;
  /** Ids whose deliveries column counts fewer deliveries than were acknowledged. */
  readonly undercounted: string[];
}

/**
 * Reads back every row: each acknowledged event must be there with the exact bytes sent
 * and their sha256; every other row must be an event that was sent, byte-exact too.
 */
export async function checkStore(
  store: EventStore,
  acknowledged: ReadonlyMap<string, number>,
  bodyOf: (id: string) => string | undefined,
): Promise<StoreCheck> {
  const rows = await store.listEvents({});
  const ids = new Set(rows.map((r) => r.id));
  const corrupt: string[] = [];
  const undercounted: string[] = [];
  for (const summary of rows) {
    const expected = bodyOf(summary.id);
    const row = await store.getEvent(summary.id);
    if (
      expected === undefined ||
      row === undefined ||
      row.payload !== expected ||
      row.payload_sha256 !== sha256(expected) ||
      sha256(row.payload) !== row.payload_sha256
    ) {
      corrupt.push(summary.id);
    }
    if (Number(summary.deliveries) < (acknowledged.get(summary.id) ?? 0)) undercounted.push(summary.id);
  }
  const lost: string[] = [];
  let found = 0;
  for (const id of acknowledged.keys()) {
    const row = await store.getEvent(id);
    const expected = bodyOf(id);
    if (
      row !== undefined &&
      expected !== undefined &&
      row.payload === expected &&
      row.payload_sha256 === sha256(expected)
    ) {
      found++;
    } else lost.push(id);
  }
  return { found, lost, duplicated: rows.length - ids.size, corrupt, rows: rows.length, undercounted };
}
