import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import type { VerifiedEvent } from "../src/core/event-recorder.js";
import { keptEvent } from "../src/core/verified-event.js";
import { packagePath } from "../src/paths.js";
import {
  dedupViewId,
  dedupViewQuery,
  eventTableSchema,
  type PayloadType,
  tableName,
  toTableRow,
} from "../src/sinks/bigquery-table.js";
import { bigQueryViews } from "../src/sinks/bigquery-views.js";
import type { EventStore } from "../src/stores/store.js";
import { storeTargets, type TestStore } from "./helpers/stores.js";
import { type Json, viewRows, viewTestEvents } from "./helpers/view-events.js";
import {
  startZetaSqlEngine,
  type ZetaSqlColumn,
  type ZetaSqlEngine,
  type ZetaSqlResult,
  type ZetaSqlTable,
} from "./helpers/zetasql-engine.js";

// The BigQuery views, run on Google's GoogleSQL analyzer and reference engine (ZetaSQL):
// the events go into a BigQuery-shaped table in the engine's catalog (rows made by the
// exporter's own toTableRow, with the copies a retried export writes), every view runs in
// the order BigQuery would run it (the _dedup view, then flexport_milestones over its rows,
// then flexport_shipment_status over those), and each row is compared, column by column,
// with the SQLite view's row for the same key. Normalisation: TIMESTAMP → ISO-8601 UTC
// with milliseconds (SQLite's text), SQLite's 0/1 booleans → true/false, INT64 → number,
// NULL ↔ null; nothing else.

const REF = { projectId: "acme-logistics", datasetId: "flexport", tableId: "events" };
const DATASET = `${REF.projectId}.${REF.datasetId}`;
const TABLE = tableName(REF);
const DEDUP = `${DATASET}.${dedupViewId(REF)}`;
const [MILESTONES_VIEW, STATUS_VIEW, ESTIMATES_VIEW, ETA_HISTORY_VIEW] = bigQueryViews(REF);
const DAY = 86_400_000;
const FIRST_DAY = Date.parse("2025-06-01T00:00:00.000Z");

let engine: ZetaSqlEngine | undefined;
let unavailable: string | undefined;
try {
  engine = await startZetaSqlEngine();
} catch (error) {
  unavailable = error instanceof Error ? error.message : String(error);
  // CI has the package (a devDependency) and this machine's binary: not running is a failure.
  if (process.env.CI === "true")
    throw new Error(`CI=true requires the ZetaSQL reference engine: ${unavailable}`);
}

const events = viewTestEvents();
/** Spread over five days (five partitions of ts), a few seconds apart. */
const receivedAt = (i: number) => new Date(FIRST_DAY + (i % 5) * DAY + i * 1000 + 123);
const position = new Map(events.map((event, i) => [event.id, i]));

function eventsTable(payloadType: PayloadType, list: readonly VerifiedEvent[] = events): ZetaSqlTable {
  const fields = eventTableSchema(payloadType);
  const rows = list.flatMap((event, i) => {
    const row = toTableRow(keptEvent(event, receivedAt(position.get(event.id) ?? i)), fields);
    const cells = fields.map((f) => (row[f.name] ?? null) as string | null);
    // Every third event twice: the copy a retried export writes (same id, same ts).
    return i % 3 === 0 ? [cells, cells] : [cells];
  });
  return { columns: fields.map((f) => ({ name: f.name, type: f.type as ZetaSqlColumn["type"] })), rows };
}

const asTable = (result: ZetaSqlResult): ZetaSqlTable => ({ columns: result.columns, rows: result.rows });
const asObjects = (result: ZetaSqlResult): Json[] =>
  result.rows.map((row) => Object.fromEntries(result.columns.map((c, i) => [c.name, row[i] ?? null])));
const byKey = (rows: Json[], key: string) => new Map(rows.map((row) => [String(row[key]), row]));

/** Keeps only the rows of the day partitions [fromDay, toDay) of ts: what a pruned scan reads. */
function partitions(table: ZetaSqlTable, fromDay: number, toDay: number): ZetaSqlTable {
  const ts = table.columns.findIndex((c) => c.name === "ts");
  return {
    ...table,
    rows: table.rows.filter((row) => {
      const day = Math.floor((Date.parse(String(row[ts])) - FIRST_DAY) / DAY);
      return day >= fromDay && day < toDay;
    }),
  };
}

const sorted = (result: ZetaSqlResult) => result.rows.map((row) => JSON.stringify(row)).sort();
const dayIso = (day: number) => new Date(FIRST_DAY + day * DAY).toISOString();
/** The _dedup view as it was: the window over id alone. */
const FORMER_DEDUP = () =>
  dedupViewQuery(REF).replace(/OVER \(PARTITION BY id, ts\)/, "OVER (PARTITION BY id ORDER BY ts)");

/** Every value under `key` anywhere in a resolved tree (depth first, outermost first). */
function nodes(tree: unknown, key: string, found: unknown[] = []): unknown[] {
  if (tree !== null && typeof tree === "object") {
    for (const [name, value] of Object.entries(tree)) {
      if (name === key) found.push(value);
      nodes(value, key, found);
    }
  }
  return found;
}

/** `table.column` of each resolved column reference (or partition-by item). */
const columnIds = (refs: unknown[]) =>
  refs.map((ref) => {
    const column = (ref as { column: { table_name: string; name: string } }).column;
    return `${column.table_name}.${column.name}`;
  });

/** A view's query inlined where BigQuery would inline the view, as BigQuery runs it. */
const inline = (query: string, view: string, definition: string) =>
  query.replaceAll(`\`${view}\``, `(${definition})`);

describe("BigQuery views on the ZetaSQL reference engine", {
  skip: unavailable ?? false,
  timeout: 120_000,
}, () => {
  let installation: TestStore;
  let store: EventStore;
  let sqliteMilestones: Json[];
  let sqliteStatus: Json[];
  let sqliteEstimates: Json[];
  let sqliteEtaHistory: Json[];
  const sqliteReceivedAt = new Map<string, string>();

  before(async () => {
    const sqlite = (await storeTargets()).find((t) => t.name === "sqlite");
    if (sqlite === undefined) throw new Error("no sqlite target");
    installation = await sqlite.create();
    store = await installation.open();
    await store.migrate();
    await Promise.all(events.map((event, i) => store.insertIfAbsent(event, receivedAt(i))));
    sqliteMilestones = await viewRows(store, "flexport_milestones", "event_id");
    sqliteStatus = await viewRows(store, "flexport_shipment_status", "shipment_id");
    sqliteEstimates = await viewRows(store, "flexport_eta_estimates", "event_id");
    sqliteEtaHistory = await viewRows(store, "flexport_eta_history", "event_id");
    for (const event of events)
      sqliteReceivedAt.set(event.id, (await store.getEvent(event.id))?.received_at ?? "");
  });

  after(async () => {
    await engine?.close();
    await store?.close();
    await installation?.destroy();
  });

  /** Column by column, with the SQLite row of the same key; the view may add BigQuery-only columns at the end. */
  function assertSameRows(
    view: string,
    bigquery: Json[],
    sqlite: Json[],
    key: string,
    extra: string[] = [],
  ): void {
    assert.ok(sqlite.length > 0, `${view}: SQLite has rows to compare`);
    assert.deepEqual(
      Object.keys(bigquery[0] ?? {}),
      [...Object.keys(sqlite[0] ?? {}), ...extra],
      `${view}: columns`,
    );
    assert.deepEqual(
      [...byKey(bigquery, key).keys()].sort(),
      [...byKey(sqlite, key).keys()].sort(),
      `${view}: keys`,
    );
    const theirs = byKey(bigquery, key);
    for (const row of sqlite) {
      const other = theirs.get(String(row[key]));
      for (const column of Object.keys(row)) {
        assert.deepEqual(other?.[column], row[column], `${view} ${key}=${row[key]} column ${column}`);
      }
    }
  }

  it("every file in sql/bigquery → resolves on the analyzer as the statement it is", async () => {
    const table = eventsTable("JSON");
    const milestones = await (engine as ZetaSqlEngine).query(MILESTONES_VIEW?.query ?? "", {
      [DEDUP]: asTable(await (engine as ZetaSqlEngine).query(dedupViewQuery(REF), { [TABLE]: table })),
    });
    // The files as shipped, placeholders and all: the catalog names the placeholder tables.
    const estimates = await (engine as ZetaSqlEngine).query(ESTIMATES_VIEW?.query ?? "", {
      [`${DATASET}.flexport_milestones`]: asTable(milestones),
    });
    const catalog = {
      "PROJECT.DATASET.flexport_events": table,
      "PROJECT.DATASET.flexport_events_dedup": table,
      "PROJECT.DATASET.flexport_milestones": asTable(milestones),
      "PROJECT.DATASET.flexport_eta_estimates": asTable(estimates),
    };
    const files = readdirSync(packagePath("sql", "bigquery")).filter((f) => f.endsWith(".sql"));
    assert.equal(files.length, 11);
    for (const file of files) {
      const resolved = (await (engine as ZetaSqlEngine).analyze(
        readFileSync(packagePath("sql", "bigquery", file), "utf8"),
        catalog,
      )) as { resolved_statement?: Record<string, unknown> };
      assert.deepEqual(
        Object.keys(resolved.resolved_statement ?? {}),
        ["resolved_create_statement_node", "node"],
        file,
      );
    }
    await assert.rejects(
      (engine as ZetaSqlEngine).analyze(
        "SELECT JSON_EXTRACT_SCALAR_TYPO(payload) FROM `PROJECT.DATASET.flexport_events`",
        catalog,
      ),
      /Function not found: JSON_EXTRACT_SCALAR_TYPO/,
      "the analyzer refuses what BigQuery would",
    );
  });

  for (const payloadType of ["JSON", "STRING"] as const) {
    describe(`payload as ${payloadType}`, () => {
      let table: ZetaSqlTable;
      let dedup: ZetaSqlResult;
      let milestones: ZetaSqlResult;

      before(async () => {
        table = eventsTable(payloadType);
        dedup = await (engine as ZetaSqlEngine).query(dedupViewQuery(REF), { [TABLE]: table });
        milestones = await (engine as ZetaSqlEngine).query(MILESTONES_VIEW?.query ?? "", {
          [DEDUP]: asTable(dedup),
        });
      });

      it("_dedup → resolves, and keeps one row per event of the retried copies", () => {
        assert.ok(table.rows.length > events.length, "the table holds copies");
        assert.equal(dedup.rows.length, events.length);
        assert.deepEqual(
          dedup.columns.map((c) => c.name),
          table.columns.map((c) => c.name),
        );
        assert.equal(new Set(asObjects(dedup).map((r) => r.id)).size, events.length);
      });

      it("flexport_milestones → the SQLite view's rows, column by column, plus received_at", () => {
        const rows = asObjects(milestones);
        assertSameRows("flexport_milestones", rows, sqliteMilestones, "event_id", ["received_at"]);
        for (const row of rows) assert.equal(row.received_at, sqliteReceivedAt.get(String(row.event_id)));
      });

      it("flexport_shipment_status → the SQLite view's rows, column by column", async () => {
        const status = await (engine as ZetaSqlEngine).query(STATUS_VIEW?.query ?? "", {
          [`${DATASET}.flexport_milestones`]: asTable(milestones),
        });
        assertSameRows("flexport_shipment_status", asObjects(status), sqliteStatus, "shipment_id");
      });

      it("flexport_eta_estimates and flexport_eta_history → the SQLite views' rows, column by column", async () => {
        const estimates = await (engine as ZetaSqlEngine).query(ESTIMATES_VIEW?.query ?? "", {
          [`${DATASET}.flexport_milestones`]: asTable(milestones),
        });
        const history = await (engine as ZetaSqlEngine).query(ETA_HISTORY_VIEW?.query ?? "", {
          [`${DATASET}.flexport_eta_estimates`]: asTable(estimates),
        });
        // One row per event and kind: compared whole, in a stable order.
        const rowsOf = (rows: Json[]) => rows.map((row) => JSON.stringify(row)).sort();
        assert.ok(sqliteEstimates.length > 0 && sqliteEtaHistory.length > 0);
        assert.ok(
          sqliteEtaHistory.length < sqliteEstimates.length,
          "repeated estimates are not announcements",
        );
        assert.deepEqual(rowsOf(asObjects(estimates)), rowsOf(sqliteEstimates));
        assert.deepEqual(rowsOf(asObjects(history)), rowsOf(sqliteEtaHistory));
      });
    });
  }

  describe("partition pruning", () => {
    // What BigQuery's planner does cannot be observed here (that needs a dry run against
    // BigQuery and its totalBytesProcessed). What can be: a date-bounded query over the views
    // gives the same rows when the table holds only the day partitions it asks for as when it
    // holds every partition, so reading only those partitions is a correct plan.
    const bounded = (query: string, column: string, fromDay: number, toDay: number) =>
      `SELECT * FROM (${query}) WHERE ${column} >= TIMESTAMP '${dayIso(fromDay)}' AND ${column} < TIMESTAMP '${dayIso(toDay)}'`;

    it("_dedup bounded on ts → only the partitions asked for are needed", async () => {
      const table = eventsTable("JSON");
      const query = bounded(dedupViewQuery(REF), "ts", 1, 3);
      const everything = await (engine as ZetaSqlEngine).query(query, { [TABLE]: table });
      const pruned = await (engine as ZetaSqlEngine).query(query, { [TABLE]: partitions(table, 1, 3) });
      assert.ok(everything.rows.length > 0 && everything.rows.length < events.length, "a proper subset");
      assert.deepEqual(sorted(pruned), sorted(everything));
    });

    it("flexport_milestones bounded on received_at → only the partitions asked for are needed", async () => {
      const table = eventsTable("JSON");
      const milestones = inline(MILESTONES_VIEW?.query ?? "", DEDUP, dedupViewQuery(REF));
      const query = bounded(milestones, "received_at", 2, 3);
      const everything = await (engine as ZetaSqlEngine).query(query, { [TABLE]: table });
      const pruned = await (engine as ZetaSqlEngine).query(query, { [TABLE]: partitions(table, 2, 3) });
      assert.ok(everything.rows.length > 0 && everything.rows.length < events.length, "a proper subset");
      assert.deepEqual(sorted(pruned), sorted(everything));
    });

    it("analyzer: the date bound reads only the table's ts, a partitioning key of every window (the dry-run shape)", async () => {
      // The resolved tree of the bounded query: the columns its outer filter reads, and the
      // PARTITION BY columns of each window under it. A planner may apply the bound at the
      // table scan (and prune) when the first are among the second in every window.
      const catalog = { [TABLE]: eventsTable("JSON") };
      const shape = async (query: string, column: string) => {
        const tree = await (engine as ZetaSqlEngine).analyze(bounded(query, column, 1, 3), catalog);
        const [outer] = nodes(tree, "resolved_filter_scan_node");
        const bound = [
          ...new Set(columnIds(nodes((outer as Json | undefined)?.filter_expr, "resolved_column_ref_node"))),
        ];
        const windows = nodes(tree, "resolved_analytic_scan_node").map((scan) =>
          columnIds(nodes(scan, "partition_by_list").flat()),
        );
        return { bound, windows };
      };
      const dedup = await shape(dedupViewQuery(REF), "ts");
      assert.deepEqual(dedup.bound, [`${TABLE}.ts`]);
      assert.equal(dedup.windows.length, 1);
      for (const keys of dedup.windows)
        assert.ok(keys.includes(`${TABLE}.ts`), `window keys ${keys.join(", ")}`);
      // received_at is the table's ts itself, through the view's projection and its join.
      const milestones = await shape(
        inline(MILESTONES_VIEW?.query ?? "", DEDUP, dedupViewQuery(REF)),
        "received_at",
      );
      assert.deepEqual(milestones.bound, [`${TABLE}.ts`]);
      for (const keys of milestones.windows)
        assert.ok(keys.includes(`${TABLE}.ts`), `window keys ${keys.join(", ")}`);
      const former = await shape(FORMER_DEDUP(), "ts");
      assert.deepEqual(former.windows, [[`${TABLE}.id`]], "the former window is keyed by id alone");
    });

    it("the former window over id alone → a date-bounded query needs partitions it did not ask for", async () => {
      // Copies of one id on two days (an export retried across midnight): with the window over
      // id alone the earlier copy, outside the range, decides whether the later one shows.
      const former = FORMER_DEDUP();
      assert.notEqual(former, dedupViewQuery(REF), "the current view has the (id, ts) window");
      const base = eventsTable("JSON", events.slice(0, 1));
      const [row] = base.rows;
      const ts = base.columns.findIndex((c) => c.name === "ts");
      const copy = (day: number) => (row ?? []).map((cell, i) => (i === ts ? dayIso(day) : cell));
      const table = { ...base, rows: [copy(0), copy(1)] };
      const query = (view: string) => bounded(view, "ts", 1, 2);
      const run = async (view: string, content: ZetaSqlTable) =>
        (await (engine as ZetaSqlEngine).query(query(view), { [TABLE]: content })).rows.length;
      assert.equal(await run(former, table), 0);
      assert.equal(await run(former, partitions(table, 1, 2)), 1, "pruned, the answer changes");
      assert.equal(await run(dedupViewQuery(REF), table), 1);
      assert.equal(await run(dedupViewQuery(REF), partitions(table, 1, 2)), 1);
    });
  });
});
