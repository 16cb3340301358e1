import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { keptEvent, verifiedEvent } from "../src/core/verified-event.js";
import { LOGISTICS_SAMPLES_DIR, loadSamples, SAMPLES_DIR } from "../src/samples/samples.js";
import {
  dedupViewId,
  dedupViewQuery,
  eventTableSchema,
  tableName,
  toTableRow,
} from "../src/sinks/bigquery-table.js";
import { bigQueryViews } from "../src/sinks/bigquery-views.js";
import type { EventStore } from "../src/stores/store.js";
import { sqlRows, storeTargets, type TestStore } from "./helpers/stores.js";
import {
  startZetaSqlEngine,
  type ZetaSqlEngine,
  type ZetaSqlResult,
  type ZetaSqlTable,
} from "./helpers/zetasql-engine.js";

// The Logistics API views and the PO/SKU timeline, run on the ZetaSQL reference engine over
// the freight and Logistics API samples, compared row for row with the SQLite views.
// Normalisation: quantities as numbers (INT64 in BigQuery, NUMERIC/INTEGER elsewhere).

const REF = { projectId: "acme-logistics", datasetId: "flexport", tableId: "events" };
const DATASET = `${REF.projectId}.${REF.datasetId}`;
const RECEIVED = new Date("2024-10-20T00:00:00.000Z");

let engine: ZetaSqlEngine | undefined;
let unavailable: string | undefined;
try {
  engine = await startZetaSqlEngine();
} catch (error) {
  unavailable = error instanceof Error ? error.message : String(error);
  if (process.env.CI === "true")
    throw new Error(`CI=true requires the ZetaSQL reference engine: ${unavailable}`);
}

const events = [
  ...loadSamples(SAMPLES_DIR).map((s) => verifiedEvent(s.bytes, "sha256", "webhook")),
  ...loadSamples(LOGISTICS_SAMPLES_DIR).map((s) =>
    verifiedEvent(s.bytes, null, "webhook", { sourceName: "fulfilment", api: "logistics" }),
  ),
].map((result) => {
  if (!result.ok) throw new Error(result.message);
  return result.event;
});

type Json = Record<string, unknown>;
const asTable = (result: ZetaSqlResult): ZetaSqlTable => ({ columns: result.columns, rows: result.rows });
const asObjects = (result: ZetaSqlResult): Json[] =>
  result.rows.map((row) => Object.fromEntries(result.columns.map((c, i) => [c.name, row[i] ?? null])));
const normalise = (rows: Json[]) =>
  rows
    .map((row) =>
      JSON.stringify(
        Object.fromEntries(
          Object.entries(row).map(([k, v]) => [k, k.includes("quantity") && v !== null ? Number(v) : v]),
        ),
      ),
    )
    .sort();

const LOGISTICS_VIEWS = [
  "logistics_orders",
  "logistics_parcel_tracking",
  "logistics_inbound",
  "logistics_inventory_adjustments",
  "supply_chain_timeline",
];

describe("Logistics API BigQuery views on the ZetaSQL reference engine", {
  skip: unavailable ?? false,
  timeout: 120_000,
}, () => {
  let installation: TestStore;
  let store: EventStore;
  const tables: Record<string, ZetaSqlTable> = {};

  before(async () => {
    const sqlite = (await storeTargets()).find((t) => t.name === "sqlite");
    if (sqlite === undefined) throw new Error("no sqlite target");
    installation = await sqlite.create();
    store = await installation.open();
    await store.migrate();
    await Promise.all(events.map((e) => store.insertIfAbsent(e, RECEIVED)));
    const fields = eventTableSchema("JSON");
    const table: ZetaSqlTable = {
      columns: fields.map((f) => ({ name: f.name, type: f.type as ZetaSqlTable["columns"][number]["type"] })),
      rows: events.map((e) => {
        const row = toTableRow(keptEvent(e, RECEIVED), fields);
        return fields.map((f) => (row[f.name] ?? null) as string | null);
      }),
    };
    const run = engine as ZetaSqlEngine;
    tables[`${DATASET}.${dedupViewId(REF)}`] = asTable(
      await run.query(dedupViewQuery(REF), { [tableName(REF)]: table }),
    );
    const [milestones] = bigQueryViews(REF);
    tables[`${DATASET}.flexport_milestones`] = asTable(await run.query(milestones?.query ?? "", tables));
  });
  after(async () => {
    await engine?.close();
    await store?.close();
    await installation?.destroy();
  });

  for (const viewId of LOGISTICS_VIEWS) {
    it(`${viewId} → the SQLite view's rows`, async () => {
      const view = bigQueryViews(REF).find((v) => v.viewId === viewId);
      assert.ok(view);
      const bigquery = asObjects(await (engine as ZetaSqlEngine).query(view.query, tables));
      const sqlite = await sqlRows<Json>(store, `SELECT * FROM ${viewId}`);
      assert.ok(sqlite.length > 0, "SQLite has rows to compare");
      assert.equal(bigquery.length, sqlite.length, "row count");
      assert.deepEqual(normalise(bigquery), normalise(sqlite));
    });
  }
});
