import { readFileSync } from "node:fs";
import { packagePath } from "../paths.js";
import type { ExportEvent } from "./export-sink.js";

export interface TableRef {
  readonly projectId: string;
  readonly datasetId: string;
  readonly tableId: string;
}

export type PayloadType = "JSON" | "STRING";

export interface FieldSchema {
  readonly name: string;
  readonly type: string;
  readonly mode?: string;
}

/** `project.dataset.table`, as BIGQUERY_TABLE holds it; throws a message naming the variable. */
export function parseTableRef(value: string): TableRef {
  // Project ids may contain dashes (and a domain prefix with a colon); datasets and tables
  // are letters, digits and underscores.
  const match = /^([a-z][a-z0-9.:-]*[a-z0-9])\.([A-Za-z0-9_]+)\.([A-Za-z0-9_]+)$/.exec(value.trim());
  if (match === null) {
    throw new Error(
      `BIGQUERY_TABLE: "${value}" must be project.dataset.table, e.g. my-project.flexport.events`,
    );
  }
  return { projectId: match[1] ?? "", datasetId: match[2] ?? "", tableId: match[3] ?? "" };
}

export function tableName(ref: TableRef): string {
  return `${ref.projectId}.${ref.datasetId}.${ref.tableId}`;
}

/** The schema portcall creates; the same as sql/bigquery/flexport_events.sql. */
export function eventTableSchema(payloadType: PayloadType): FieldSchema[] {
  return [
    { name: "id", type: "STRING", mode: "REQUIRED" },
    { name: "ts", type: "TIMESTAMP", mode: "REQUIRED" },
    { name: "type", type: "STRING", mode: "NULLABLE" },
    { name: "occurred_at", type: "TIMESTAMP", mode: "NULLABLE" },
    { name: "created_at", type: "TIMESTAMP", mode: "NULLABLE" },
    { name: "payload", type: payloadType, mode: "NULLABLE" },
    { name: "source_name", type: "STRING", mode: "NULLABLE" },
    { name: "api", type: "STRING", mode: "NULLABLE" },
  ];
}

/** Partitioned by day of `ts` (what most queries filter on), clustered by event type. */
export function tableLayout(): {
  timePartitioning: { type: string; field: string };
  clustering: { fields: string[] };
} {
  return { timePartitioning: { type: "DAY", field: "ts" }, clustering: { fields: ["type"] } };
}

/** The dedup view's query, from sql/bigquery/flexport_events_dedup.sql, aimed at `ref`. */
export function dedupViewQuery(ref: TableRef): string {
  const sql = readFileSync(packagePath("sql", "bigquery", "flexport_events_dedup.sql"), "utf8");
  const body = /\bAS\s*\n([\s\S]*?);?\s*$/.exec(sql.replace(/^--.*$/gm, ""))?.[1];
  if (body === undefined) throw new Error("sql/bigquery/flexport_events_dedup.sql: no `AS <query>` found");
  return body.trim().replaceAll("`PROJECT.DATASET.flexport_events`", `\`${tableName(ref)}\``);
}

export function dedupViewId(ref: TableRef): string {
  return `${ref.tableId}_dedup`;
}

/**
 * One insertAll row for a table with the given columns: only the columns it has, so the
 * original 3-column table (id STRING, ts DATETIME, payload STRING) still gets rows, and
 * each timestamp in the format its column type takes.
 */
export function toTableRow(event: ExportEvent, fields: readonly FieldSchema[]): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  for (const field of fields) {
    const value = columnValue(event, field.name);
    if (value === undefined) continue;
    row[field.name] = value === null ? null : formatValue(value, field.type);
  }
  return row;
}

function columnValue(event: ExportEvent, column: string): string | null | undefined {
  switch (column) {
    case "id":
      return event.id;
    case "ts":
      return event.receivedAt;
    case "type":
      return event.type;
    case "occurred_at":
      return event.occurredAt;
    case "created_at":
      return event.createdAt;
    case "payload":
      return event.payload;
    case "source_name":
      return event.sourceName;
    case "api":
      return event.api;
    default:
      return undefined;
  }
}

function formatValue(value: string, type: string): string {
  switch (type.toUpperCase()) {
    case "DATETIME":
      return toBigQueryDatetime(value);
    case "TIMESTAMP": {
      const date = new Date(value);
      return Number.isNaN(date.getTime()) ? value : date.toISOString();
    }
    default:
      return value;
  }
}

/**
 * DATETIME has no time zone: `YYYY-MM-DD HH:MM:SS.ffffff`, here the UTC wall time. An ISO
 * string with `Z` is rejected by BigQuery for DATETIME columns.
 */
export function toBigQueryDatetime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) throw new Error(`not a timestamp: ${iso}`);
  const text = date.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
  return `${text.slice(0, 10)} ${text.slice(11, 23)}000`;
}
