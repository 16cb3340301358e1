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
}

/** In dependency order: the status view reads the milestones view. */
export const BIGQUERY_VIEW_IDS = ["flexport_milestones", "flexport_shipment_status"] as const;

/** The events-table columns the views read; the original 3-column table lacks some. */
export const BIGQUERY_VIEW_COLUMNS = ["id", "type", "occurred_at", "created_at", "payload"] as const;

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
    return { viewId, query, ddl };
  });
}
