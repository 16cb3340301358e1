import type { EventQuery } from "./store.js";

/** The columns of an EventSummary, in both dialects. */
export const EVENT_COLUMNS = `id, type, occurred_at, created_at, received_at, last_received_at, deliveries,
  signature_alg, payload_sha256, source, source_name, api`;

/** The rejects' columns but the size, which each dialect measures with its own function. */
export const REJECT_COLUMNS = `payload_sha256, reason, detail, event_id, signature_alg, received_at,
  last_received_at, deliveries, source_name`;

/**
 * `SELECT … FROM flexport_events` for a query, newest first; `placeholder(n)` spells the
 * n-th parameter in the dialect (`?` or `$n`). The limit is the last parameter.
 */
export function listEventsSql(
  query: EventQuery,
  placeholder: (n: number) => string,
  noLimit: number | null,
): { readonly sql: string; readonly params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  if (query.type !== undefined) {
    params.push(query.type);
    where.push(`type = ${placeholder(params.length)}`);
  }
  if (query.source !== undefined) {
    params.push(query.source);
    where.push(`source_name = ${placeholder(params.length)}`);
  }
  if (query.since !== undefined) {
    params.push(query.since);
    where.push(`received_at >= ${placeholder(params.length)}`);
  }
  params.push(query.limit ?? noLimit);
  const sql = `SELECT ${EVENT_COLUMNS} FROM flexport_events
    ${where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""}
    ORDER BY received_at DESC, id DESC LIMIT ${placeholder(params.length)}`;
  return { sql, params };
}
