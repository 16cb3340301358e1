import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** A request as it arrived on the wire. */
export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly body: unknown;
  readonly authorization: string | undefined;
}

export interface FakeField {
  readonly name: string;
  readonly type: string;
  readonly mode?: string;
}

export interface FakeTable {
  readonly tableReference: { projectId: string; datasetId: string; tableId: string };
  readonly schema?: { fields: FakeField[] };
  readonly view?: { query: string; useLegacySql?: boolean };
  readonly labels?: Record<string, string>;
  readonly timePartitioning?: unknown;
  readonly clustering?: unknown;
  /** Rows accepted by insertAll, with their insertId. */
  readonly rows: { insertId: string | undefined; json: Record<string, unknown> }[];
}

export interface FakeBigQuery {
  /** Give the client this as apiEndpoint. */
  readonly url: string;
  readonly requests: RecordedRequest[];
  readonly datasets: Set<string>;
  readonly tables: Map<string, FakeTable>;
  /** Creates a table directly, e.g. one with the original 3-column schema. */
  addTable(project: string, dataset: string, table: string, fields: FakeField[]): FakeTable;
  /** The next `count` insertAll requests answer `status` (default 503) without storing anything. */
  failInserts(count: number, status?: number): void;
  rows(project: string, dataset: string, table: string): FakeTable["rows"];
  close(): Promise<void>;
}

const DATETIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d{1,6})?$/;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})?$/;

/**
 * A local server speaking the parts of the BigQuery REST API v2 portcall uses: datasets.get
 * and insert, tables.get, insert and patch (tables and views), tabledata.insertAll. Rows are
 * checked against the table's schema the way BigQuery does (unknown fields, missing
 * REQUIRED fields, DATETIME/TIMESTAMP/JSON formats) and answered with insertErrors.
 * insertId de-duplication is not modelled: every accepted row is kept, so tests see
 * exactly what was sent.
 */
export async function startFakeBigQuery(): Promise<FakeBigQuery> {
  const requests: RecordedRequest[] = [];
  const datasets = new Set<string>();
  const tables = new Map<string, FakeTable>();
  let failures = 0;
  let failureStatus = 503;

  const server: Server = createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => {
      send(res, 500, { error: { code: 500, message: String(error) } });
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString("utf8");
    const body: unknown = text === "" ? undefined : JSON.parse(text);
    const url = new URL(req.url ?? "/", "http://localhost");
    const path = url.pathname.replace(/^\/bigquery\/v2/, "");
    const method = req.method ?? "GET";
    requests.push({ method, path, body, authorization: req.headers.authorization });

    const match = (pattern: RegExp, verb: string) => (method === verb ? pattern.exec(path) : null);
    let m: RegExpExecArray | null;
    m = match(/^\/projects\/([^/]+)\/datasets$/, "POST");
    if (m !== null) {
      const ref = (body as { datasetReference: { datasetId: string } }).datasetReference;
      const key = `${m[1]}.${ref.datasetId}`;
      if (datasets.has(key)) return notFoundOr(res, 409, `Already Exists: Dataset ${key}`);
      datasets.add(key);
      return send(res, 200, { ...(body as object), id: key, kind: "bigquery#dataset" });
    }
    m = match(/^\/projects\/([^/]+)\/datasets\/([^/]+)$/, "GET");
    if (m !== null) {
      const key = `${m[1]}.${m[2]}`;
      if (!datasets.has(key)) return notFoundOr(res, 404, `Not found: Dataset ${key}`);
      return send(res, 200, {
        id: key,
        kind: "bigquery#dataset",
        datasetReference: { projectId: m[1], datasetId: m[2] },
      });
    }
    m = match(/^\/projects\/([^/]+)\/datasets\/([^/]+)\/tables$/, "POST");
    if (m !== null) {
      const dataset = `${m[1]}.${m[2]}`;
      if (!datasets.has(dataset)) return notFoundOr(res, 404, `Not found: Dataset ${dataset}`);
      const resource = body as Omit<FakeTable, "rows">;
      const key = `${dataset}.${resource.tableReference.tableId}`;
      if (tables.has(key)) return notFoundOr(res, 409, `Already Exists: Table ${key}`);
      tables.set(key, { ...resource, rows: [] });
      return send(res, 200, { ...resource, id: key, kind: "bigquery#table" });
    }
    m = match(/^\/projects\/([^/]+)\/datasets\/([^/]+)\/tables\/([^/]+)$/, "GET");
    if (m !== null) {
      const key = `${m[1]}.${m[2]}.${m[3]}`;
      const table = tables.get(key);
      if (table === undefined) return notFoundOr(res, 404, `Not found: Table ${key}`);
      const { rows: _rows, ...resource } = table;
      return send(res, 200, { ...resource, id: key, kind: "bigquery#table" });
    }
    m = match(/^\/projects\/([^/]+)\/datasets\/([^/]+)\/tables\/([^/]+)$/, "PATCH");
    if (m !== null) {
      // tables.patch: the fields sent replace the stored ones; the rest stay.
      const key = `${m[1]}.${m[2]}.${m[3]}`;
      const table = tables.get(key);
      if (table === undefined) return notFoundOr(res, 404, `Not found: Table ${key}`);
      const patched: FakeTable = { ...table, ...(body as Partial<FakeTable>), rows: table.rows };
      tables.set(key, patched);
      const { rows: _rows, ...resource } = patched;
      return send(res, 200, { ...resource, id: key, kind: "bigquery#table" });
    }
    m = match(/^\/projects\/([^/]+)\/datasets\/([^/]+)\/tables\/([^/]+)\/insertAll$/, "POST");
    if (m !== null) {
      if (failures > 0) {
        failures--;
        return notFoundOr(res, failureStatus, "injected failure");
      }
      const key = `${m[1]}.${m[2]}.${m[3]}`;
      const table = tables.get(key);
      if (table === undefined) return notFoundOr(res, 404, `Not found: Table ${key}`);
      const request = body as {
        rows: { insertId?: string; json: Record<string, unknown> }[];
        skipInvalidRows?: boolean;
        ignoreUnknownValues?: boolean;
      };
      const fields = table.schema?.fields ?? [];
      const insertErrors = request.rows.flatMap((row, index) => {
        const problems = rowProblems(row.json, fields, request.ignoreUnknownValues === true);
        return problems.length === 0
          ? []
          : [{ index, errors: problems.map((message) => ({ reason: "invalid", message })) }];
      });
      if (insertErrors.length === 0 || request.skipInvalidRows === true) {
        const bad = new Set(insertErrors.map((e) => e.index));
        request.rows.forEach((row, index) => {
          if (!bad.has(index)) table.rows.push({ insertId: row.insertId, json: row.json });
        });
      } else {
        // Without skipInvalidRows, BigQuery stores none of the rows; valid ones are "stopped".
        const bad = new Set(insertErrors.map((e) => e.index));
        request.rows.forEach((_, index) => {
          if (!bad.has(index)) insertErrors.push({ index, errors: [{ reason: "stopped", message: "" }] });
        });
      }
      return send(res, 200, {
        kind: "bigquery#tableDataInsertAllResponse",
        ...(insertErrors.length > 0 ? { insertErrors } : {}),
      });
    }
    notFoundOr(res, 404, `fake BigQuery does not implement ${method} ${path}`);
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    datasets,
    tables,
    addTable(project, dataset, table, fields) {
      datasets.add(`${project}.${dataset}`);
      const created: FakeTable = {
        tableReference: { projectId: project, datasetId: dataset, tableId: table },
        schema: { fields },
        rows: [],
      };
      tables.set(`${project}.${dataset}.${table}`, created);
      return created;
    },
    failInserts(count, status = 503) {
      failures = count;
      failureStatus = status;
    },
    rows(project, dataset, table) {
      return tables.get(`${project}.${dataset}.${table}`)?.rows ?? [];
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function rowProblems(json: Record<string, unknown>, fields: readonly FakeField[], ignoreUnknown: boolean) {
  const problems: string[] = [];
  const byName = new Map(fields.map((f) => [f.name, f]));
  for (const [name, value] of Object.entries(json)) {
    const field = byName.get(name);
    if (field === undefined) {
      if (!ignoreUnknown) problems.push(`no such field: ${name}.`);
      continue;
    }
    if (value === null) continue;
    const type = field.type.toUpperCase();
    if (type === "DATETIME" && !(typeof value === "string" && DATETIME.test(value))) {
      problems.push(`Invalid datetime string "${String(value)}" for field ${name}`);
    } else if (type === "TIMESTAMP" && !(typeof value === "string" && TIMESTAMP.test(value))) {
      problems.push(`Invalid timestamp "${String(value)}" for field ${name}`);
    } else if (type === "JSON") {
      try {
        JSON.parse(String(value));
      } catch {
        problems.push(`Invalid JSON for field ${name}`);
      }
    } else if (type === "STRING" && typeof value !== "string") {
      problems.push(`Cannot convert value to string for field ${name}`);
    }
  }
  for (const field of fields) {
    if (field.mode === "REQUIRED" && (json[field.name] === undefined || json[field.name] === null)) {
      problems.push(`Missing required field: ${field.name}.`);
    }
  }
  return problems;
}

function notFoundOr(res: ServerResponse, status: number, message: string): void {
  send(res, status, { error: { code: status, message, errors: [{ message, reason: reasonOf(status) }] } });
}

function reasonOf(status: number): string {
  return status === 404 ? "notFound" : status === 409 ? "duplicate" : "backendError";
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json; charset=UTF-8" });
  res.end(text);
}
