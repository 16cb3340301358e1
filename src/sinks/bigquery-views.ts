import { readFileSync } from "node:fs";
import { packagePath } from "../paths.js";
import type { TableRef } from "./bigquery-table.js";

export interface BigQueryView {
  /** The view's name in the table's dataset. */
  readonly viewId: string;
  /** The view's query (the part after `AS`), aimed at `ref`, for a view definition. */
  readonly query: string;
  /** The whole `CREATE OR REPLACE VIEW` statement, aimed at `ref`. */
  readonly ddl: string;
  /** The events-table columns it reads: a table lacking one gets no such view. */
  readonly requires: readonly string[];
}

/** The events-table columns the milestone views read; the original 3-column table lacks some. */
export const BIGQUERY_VIEW_COLUMNS = ["id", "type", "occurred_at", "created_at", "payload"] as const;
/** The Logistics API views also read the columns added with sources. */
export const BIGQUERY_SOURCE_COLUMNS = [...BIGQUERY_VIEW_COLUMNS, "ts", "source_name", "api"] as const;

const VIEW_REQUIREMENTS = {
  flexport_milestones: BIGQUERY_VIEW_COLUMNS,
  flexport_shipment_status: BIGQUERY_VIEW_COLUMNS,
  flexport_eta_estimates: BIGQUERY_VIEW_COLUMNS,
  flexport_eta_history: BIGQUERY_VIEW_COLUMNS,
  logistics_orders: BIGQUERY_SOURCE_COLUMNS,
  logistics_parcel_tracking: BIGQUERY_SOURCE_COLUMNS,
  logistics_inbound: BIGQUERY_SOURCE_COLUMNS,
  logistics_inventory_adjustments: BIGQUERY_SOURCE_COLUMNS,
  supply_chain_timeline: BIGQUERY_SOURCE_COLUMNS,
} as const satisfies Record<string, readonly string[]>;

/** In dependency order: the status, ETA and timeline views read the milestones view. */
export const BIGQUERY_VIEW_IDS = Object.keys(VIEW_REQUIREMENTS) as (keyof typeof VIEW_REQUIREMENTS)[];

/**
 * The milestone views for BigQuery, from sql/bigquery/<view>.sql. The files name
 * `PROJECT.DATASET.flexport_events` for the events table (so its `_dedup` view follows)
 * and `PROJECT.DATASET.` for the dataset; both are replaced here.
 */
export function bigQueryViews(ref: TableRef): BigQueryView[] {
  const dataset = `${ref.projectId}.${ref.datasetId}`;
  return BIGQUERY_VIEW_IDS.map((viewId) => {
    const file = readFileSync(packagePath("sql", "bigquery", `${viewId}.sql`), "utf8");
    const ddl = file
      .replaceAll("`PROJECT.DATASET.flexport_events", `\`${dataset}.${ref.tableId}`)
      .replaceAll("`PROJECT.DATASET.", `\`${dataset}.`)
      .trim();
    const start = /^CREATE OR REPLACE VIEW `[^`]+` AS\s*$/m.exec(ddl);
    if (start === null) throw new Error(`sql/bigquery/${viewId}.sql: no "CREATE OR REPLACE VIEW … AS" line`);
    const query = ddl
      .slice(start.index + start[0].length)
      .replace(/;\s*$/, "")
      .trim();
    return { viewId, query, ddl, requires: VIEW_REQUIREMENTS[viewId] };
  });
}
