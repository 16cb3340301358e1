import { createHash } from "node:crypto";
import type { BigQuery, Dataset, Table } from "@google-cloud/bigquery";
import {
  dedupViewId,
  dedupViewQuery,
  eventTableSchema,
  type FieldSchema,
  type PayloadType,
  parseTableRef,
  type TableRef,
  tableLayout,
  tableName,
  toTableRow,
} from "./bigquery-table.js";
import { bigQueryViews } from "./bigquery-views.js";
import type { ExportEvent, ExportResult, ExportSink } from "./export-sink.js";

export interface BigQueryTargetOptions {
  /** `project.dataset.table` (BIGQUERY_TABLE). */
  readonly table: string;
  /** Payload column type for a table portcall creates (BIGQUERY_PAYLOAD_TYPE); default JSON. */
  readonly payloadType?: PayloadType;
  /** Dataset location for a dataset portcall creates (BIGQUERY_LOCATION); default US. */
  readonly location?: string;
  /**
   * A BigQuery-compatible endpoint such as a local emulator (BIGQUERY_API_ENDPOINT). Requests
   * to it carry no Google credentials, as Cloud Storage does for a custom endpoint.
   */
  readonly apiEndpoint?: string;
  /** Client-side retries of one request (0 when the caller retries, as the exporter does). */
  readonly maxRetries?: number;
}

export interface MigrateStep {
  readonly object: string;
  readonly kind: "dataset" | "table" | "view";
  readonly applied: boolean;
  /** A view that existed with other SQL (or no recorded version) and was replaced. */
  readonly replaced?: boolean;
  /** Why the step was left out (applied is then false), e.g. columns the table lacks. */
  readonly skipped?: string;
}

/** Rows per insertAll request, and bytes: BigQuery takes at most 10 MB per request. */
const MAX_ROWS = 500;
const MAX_REQUEST_BYTES = 9 * 1024 * 1024;

/**
 * The BigQuery table events go to. The client library loads on first use, so deployments
 * without BigQuery never load it.
 */
export class BigQueryTarget {
  readonly ref: TableRef;
  private client: Promise<BigQuery> | undefined;
  private fields: Promise<FieldSchema[]> | undefined;

  constructor(private readonly options: BigQueryTargetOptions) {
    this.ref = parseTableRef(options.table);
  }

  get description(): string {
    return `bigquery:${tableName(this.ref)}`;
  }

  /**
   * Creates the dataset and the table where missing (an existing table is left alone), and
   * creates or replaces the dedup view and the milestone views so each holds this version's
   * SQL: a view records its SQL version in a label, and a view whose label or query differs
   * is replaced.
   */
  async migrate(): Promise<MigrateStep[]> {
    const bigquery = await this.bigquery();
    const { projectId, datasetId, tableId } = this.ref;
    const dataset = bigquery.dataset(datasetId, { projectId });
    const steps: MigrateStep[] = [];
    const [datasetExists] = await dataset.exists();
    if (!datasetExists) {
      await ignoreAlreadyExists(dataset.create({ location: this.options.location ?? "US" }));
    }
    steps.push({ object: `${projectId}.${datasetId}`, kind: "dataset", applied: !datasetExists });

    const table = dataset.table(tableId);
    const [tableExists] = await table.exists();
    if (!tableExists) {
      await ignoreAlreadyExists(
        dataset.createTable(tableId, {
          schema: { fields: eventTableSchema(this.options.payloadType ?? "JSON") },
          ...tableLayout(),
          description: "Flexport webhook events received by portcall",
        }),
      );
    }
    steps.push({ object: tableName(this.ref), kind: "table", applied: !tableExists });

    const viewId = dedupViewId(this.ref);
    steps.push({
      object: `${projectId}.${datasetId}.${viewId}`,
      kind: "view",
      ...(await ensureView(dataset, viewId, dedupViewQuery(this.ref))),
    });

    // The milestone views (in the dataset, read from the _dedup view) need columns a table
    // with the original 3-column schema lacks: skipped there rather than failing.
    const [metadata] = await table.getMetadata();
    const fields = (metadata as { schema?: { fields?: FieldSchema[] } }).schema?.fields ?? [];
    for (const { viewId: milestoneViewId, query, requires } of bigQueryViews(this.ref)) {
      const object = `${projectId}.${datasetId}.${milestoneViewId}`;
      const missing = requires.filter((name) => !fields.some((f) => f.name === name));
      if (missing.length > 0) {
        const skipped = `skipped: table ${tableId} lacks ${missing.join(", ")} (see docs/views.md)`;
        steps.push({ object, kind: "view", applied: false, skipped });
      } else {
        steps.push({ object, kind: "view", ...(await ensureView(dataset, milestoneViewId, query)) });
      }
    }
    this.fields = undefined;
    return steps;
  }

  /** The table's columns, read once (tables.get), so legacy tables get only what they have. */
  columns(): Promise<FieldSchema[]> {
    this.fields ??= (async () => {
      const [metadata] = await (await this.table()).getMetadata();
      const fields = (metadata as { schema?: { fields?: FieldSchema[] } }).schema?.fields ?? [];
      if (!fields.some((f) => f.name === "id")) {
        throw new Error(`BIGQUERY_TABLE: ${tableName(this.ref)} has no "id" column`);
      }
      return fields;
    })();
    this.fields.catch(() => {
      this.fields = undefined;
    });
    return this.fields;
  }

  /**
   * Streams rows with insertId = event id, so BigQuery drops a retried insert of the same
   * event (best-effort; the _dedup view covers the rest). Results follow `events`.
   */
  async insert(events: readonly ExportEvent[]): Promise<ExportResult[]> {
    const fields = await this.columns();
    const table = await this.table();
    const results: ExportResult[] = [];
    for (const chunk of chunks(events)) {
      const rows = chunk.map((event) => ({ insertId: event.id, json: toTableRow(event, fields) }));
      try {
        // skipInvalidRows: one row BigQuery rejects must not hold back the valid rows sent
        // with it (they would be "stopped", again on every retry); it fails on its own.
        await table.insert(rows, { raw: true, skipInvalidRows: true, partialRetries: 0 });
        for (const _ of chunk) results.push({ ok: true });
      } catch (error) {
        const failed = rowErrors(error);
        if (failed === undefined) throw error;
        for (const event of chunk) {
          const failure = failed.get(event.id);
          results.push(failure === undefined ? { ok: true } : { ok: false, ...failure });
        }
      }
    }
    return results;
  }

  private async table(): Promise<Table> {
    const { projectId, datasetId, tableId } = this.ref;
    return (await this.bigquery()).dataset(datasetId, { projectId }).table(tableId);
  }

  private bigquery(): Promise<BigQuery> {
    this.client ??= (async () => {
      const { BigQuery } = await import("@google-cloud/bigquery");
      const endpoint = this.options.apiEndpoint;
      return new BigQuery({
        projectId: this.ref.projectId,
        ...(this.options.maxRetries !== undefined
          ? { retryOptions: { autoRetry: this.options.maxRetries > 0, maxRetries: this.options.maxRetries } }
          : {}),
        ...(endpoint !== undefined ? { apiEndpoint: endpoint, authClient: anonymousAuth() as never } : {}),
      });
    })();
    return this.client;
  }
}

/** An ExportSink over a BigQuery table, for the exporter. */
export function createBigQuerySink(target: BigQueryTarget): ExportSink {
  return {
    name: "bigquery",
    target: target.description,
    deliver: (events) => target.insert(events),
  };
}

function* chunks(events: readonly ExportEvent[]): Generator<ExportEvent[]> {
  let chunk: ExportEvent[] = [];
  let bytes = 0;
  for (const event of events) {
    const size = Buffer.byteLength(event.payload) + 1024;
    if (chunk.length > 0 && (chunk.length >= MAX_ROWS || bytes + size > MAX_REQUEST_BYTES)) {
      yield chunk;
      chunk = [];
      bytes = 0;
    }
    chunk.push(event);
    bytes += size;
  }
  if (chunk.length > 0) yield chunk;
}

/**
 * insertAll answers 200 with per-row errors; the client turns them into a PartialFailureError
 * whose rows are the raw rows we sent. Maps insertId -> why; undefined for other errors. A row
 * with reason "invalid" (a value the table's schema refuses) fails the same way on every
 * retry, so it is marked invalid and becomes a dead letter after the allowed attempts;
 * other reasons ("stopped", "backendError", "timeout") are worth retrying.
 */
function rowErrors(error: unknown): Map<string, { error: string; invalid: boolean }> | undefined {
  if (!(error instanceof Error) || error.name !== "PartialFailureError") return undefined;
  const failures =
    (
      error as Error & {
        errors?: { row?: { insertId?: string }; errors?: { reason?: string; message?: string }[] }[];
      }
    ).errors ?? [];
  const byId = new Map<string, { error: string; invalid: boolean }>();
  for (const failure of failures) {
    const id = failure.row?.insertId;
    if (id === undefined) continue;
    const errors = failure.errors ?? [];
    const reasons = errors.map((e) => [e.reason, e.message].filter(Boolean).join(": "));
    byId.set(id, {
      error: `BigQuery rejected the row: ${reasons.join("; ") || "unknown reason"}`,
      invalid: errors.some((e) => e.reason === "invalid"),
    });
  }
  return byId;
}

/** The label a view portcall made carries: the version (a hash) of the SQL it was made with. */
export const VIEW_VERSION_LABEL = "portcall_sql_version";

/** A label-safe version of a view's SQL: the first 16 hex digits of its SHA-256. */
export function viewSqlVersion(query: string): string {
  return createHash("sha256").update(query).digest("hex").slice(0, 16);
}

/**
 * Creates the standard-SQL view, or replaces it (tables.patch) when its recorded version or
 * its query differs from `query`: an upgrade never keeps old SQL, and a view edited by hand
 * gets portcall's back. Other labels on the view are kept.
 */
async function ensureView(
  dataset: Dataset,
  viewId: string,
  query: string,
): Promise<{ applied: boolean; replaced?: boolean }> {
  const version = viewSqlVersion(query);
  const view = { query, useLegacySql: false };
  const table = dataset.table(viewId);
  const [exists] = await table.exists();
  if (!exists) {
    try {
      await dataset.createTable(viewId, { view, labels: { [VIEW_VERSION_LABEL]: version } });
      return { applied: true };
    } catch (error) {
      // Another process created it between our check and our create: check its version below.
      if ((error as { code?: number }).code !== 409) throw error;
    }
  }
  const [metadata] = await table.getMetadata();
  const current = metadata as { labels?: Record<string, string>; view?: { query?: string } };
  if (current.labels?.[VIEW_VERSION_LABEL] === version && current.view?.query === query) {
    return { applied: false };
  }
  await table.setMetadata({ view, labels: { ...current.labels, [VIEW_VERSION_LABEL]: version } });
  return { applied: true, replaced: true };
}

async function ignoreAlreadyExists(creating: Promise<unknown>): Promise<void> {
  try {
    await creating;
  } catch (error) {
    // Another process created it between our check and our create.
    if ((error as { code?: number }).code !== 409) throw error;
  }
}

/** Credentials for an emulator endpoint: none. */
function anonymousAuth(): { getRequestHeaders(): Promise<Headers> } {
  return { getRequestHeaders: async () => new Headers() };
}
