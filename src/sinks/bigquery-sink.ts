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
import { BIGQUERY_VIEW_COLUMNS, bigQueryViews } from "./bigquery-views.js";
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
   * Creates the dataset, the table, the dedup view and the milestone views where missing;
   * leaves existing ones alone.
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
    const viewCreated = await createViewIfMissing(dataset, viewId, dedupViewQuery(this.ref));
    steps.push({ object: `${projectId}.${datasetId}.${viewId}`, kind: "view", applied: viewCreated });

    // The milestone views (in the dataset, read from the _dedup view) need columns a table
    // with the original 3-column schema lacks: skipped there rather than failing.
    const [metadata] = await table.getMetadata();
    const fields = (metadata as { schema?: { fields?: FieldSchema[] } }).schema?.fields ?? [];
    const missing = BIGQUERY_VIEW_COLUMNS.filter((name) => !fields.some((f) => f.name === name));
    for (const { viewId: milestoneViewId, query } of bigQueryViews(this.ref)) {
      const object = `${projectId}.${datasetId}.${milestoneViewId}`;
      if (missing.length > 0) {
        const skipped = `skipped: table ${tableId} lacks ${missing.join(", ")} (see docs/views.md)`;
        steps.push({ object, kind: "view", applied: false, skipped });
      } else {
        const created = await createViewIfMissing(dataset, milestoneViewId, query);
        steps.push({ object, kind: "view", applied: created });
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
          const reason = failed.get(event.id);
          results.push(reason === undefined ? { ok: true } : { ok: false, error: reason });
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
 * whose rows are the raw rows we sent. Maps insertId -> reason; undefined for other errors.
 */
function rowErrors(error: unknown): Map<string, string> | undefined {
  if (!(error instanceof Error) || error.name !== "PartialFailureError") return undefined;
  const failures =
    (
      error as Error & {
        errors?: { row?: { insertId?: string }; errors?: { reason?: string; message?: string }[] }[];
      }
    ).errors ?? [];
  const byId = new Map<string, string>();
  for (const failure of failures) {
    const id = failure.row?.insertId;
    if (id === undefined) continue;
    const reasons = (failure.errors ?? []).map((e) => [e.reason, e.message].filter(Boolean).join(": "));
    byId.set(id, `BigQuery rejected the row: ${reasons.join("; ") || "unknown reason"}`);
  }
  return byId;
}

/** Creates a standard-SQL view unless one of that name exists; true when it created it. */
async function createViewIfMissing(dataset: Dataset, viewId: string, query: string): Promise<boolean> {
  const [exists] = await dataset.table(viewId).exists();
  if (!exists) {
    await ignoreAlreadyExists(dataset.createTable(viewId, { view: { query, useLegacySql: false } }));
  }
  return !exists;
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
