import type { KeptEvent } from "../core/event-recorder.js";
import { eventSourceOf, signatureAlgorithmOf } from "../core/verified-event.js";
import type { ClaimedItem } from "./outbox.js";
import { isoText } from "./plain-row.js";
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
  const { where, params } = eventsWhere(query, placeholder);
  params.push(query.limit ?? noLimit);
  const sql = `SELECT ${EVENT_COLUMNS} FROM flexport_events ${where}
    ORDER BY received_at DESC, id DESC LIMIT ${placeholder(params.length)}`;
  return { sql, params };
}

/** `SELECT count(*) AS n` of the events a query's filters match. */
export function countEventsSql(
  query: EventQuery,
  placeholder: (n: number) => string,
): { readonly sql: string; readonly params: unknown[] } {
  const { where, params } = eventsWhere(query, placeholder);
  return { sql: `SELECT count(*) AS n FROM flexport_events ${where}`, params };
}

function eventsWhere(query: EventQuery, placeholder: (n: number) => string) {
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
  return { where: where.length > 0 ? `WHERE ${where.join(" AND ")}` : "", params };
}

/** Hashes are lower-case hex, so a prefix range is exact and uses the primary key. */
export const REJECT_PREFIX_SQL = (placeholder: (n: number) => string) =>
  `SELECT payload_sha256 FROM flexport_rejects
    WHERE payload_sha256 >= ${placeholder(1)} AND payload_sha256 < ${placeholder(2)}
    ORDER BY payload_sha256 LIMIT ${placeholder(3)}`;

/** [prefix, the first string after every string that starts with it) for a hex prefix. */
export function hexPrefixRange(prefix: string): [string, string] {
  return [prefix, `${prefix}g`];
}

/** The flexport_events columns of a KeptEvent, for queries that join them in (the outbox). */
export const keptEventColumns = (alias: string) =>
  [
    "id",
    "type",
    "occurred_at",
    "created_at",
    "received_at",
    "signature_alg",
    "payload",
    "payload_sha256",
    "source",
    "source_name",
    "api",
  ]
    .map((column) => `${alias}.${column}`)
    .join(", ");

export interface KeptEventRow {
  readonly id: string;
  readonly type: string;
  readonly occurred_at: Date | string | null;
  readonly created_at: Date | string | null;
  readonly received_at: Date | string;
  readonly signature_alg: string | null;
  readonly payload: string;
  readonly payload_sha256: string;
  readonly source: string;
  readonly source_name: string;
  readonly api: string;
}

/** A row of keptEventColumns as a KeptEvent, whichever dialect read it. */
export function keptEventFromRow(row: KeptEventRow): KeptEvent {
  return {
    id: row.id,
    type: row.type,
    occurredAt: isoText(row.occurred_at),
    createdAt: isoText(row.created_at),
    receivedAt: isoText(row.received_at) ?? "",
    signatureAlg: signatureAlgorithmOf(row.signature_alg),
    payload: row.payload,
    payloadSha256: row.payload_sha256,
    source: eventSourceOf(row.source),
    sourceName: row.source_name,
    api: row.api === "logistics" ? "logistics" : "freight",
  };
}

/** A claimed outbox row joined with its event (absent when the event is gone). */
export type ClaimRow = { readonly event_id: string; readonly attempts: number } & (
  | KeptEventRow
  | { readonly id: null }
);

export function claimedItemFromRow(row: ClaimRow): ClaimedItem {
  return {
    eventId: row.event_id,
    attempts: row.attempts,
    event: row.id === null ? undefined : keptEventFromRow(row),
  };
}
