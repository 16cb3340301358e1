import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { packagePath } from "../src/paths.js";
import { BigQueryTarget, VIEW_VERSION_LABEL, viewSqlVersion } from "../src/sinks/bigquery-sink.js";
import { eventTableSchema, parseTableRef, toBigQueryDatetime } from "../src/sinks/bigquery-table.js";
import type { ExportEvent } from "../src/sinks/export-sink.js";
import { type FakeBigQuery, startFakeBigQuery } from "./fakes/fake-bigquery-server.js";
import { makeEvent } from "./helpers/fixtures.js";

function exportEvent(id: number, receivedAt = "2024-03-04T10:00:01.234Z"): ExportEvent {
  return {
    id: String(id),
    type: "/shipment_leg#departed",
    occurredAt: "2024-03-04T09:58:00.000Z",
    createdAt: "2024-03-04T10:00:00.000Z",
    receivedAt,
    signatureAlg: "sha256",
    payload: makeEvent({ id }),
    payloadSha256: "0".repeat(64),
    source: "webhook",
    sourceName: "default",
    api: "freight",
  };
}

const LOGISTICS_VIEWS = [
  "logistics_orders",
  "logistics_parcel_tracking",
  "logistics_inbound",
  "logistics_inventory_adjustments",
  "supply_chain_timeline",
];

describe("BigQuery target", () => {
  let fake: FakeBigQuery;
  before(async () => {
    fake = await startFakeBigQuery();
  });
  after(() => fake.close());

  it("migrate → dataset, partitioned and clustered table, dedup and milestone views; again → nothing applied", async () => {
    const target = new BigQueryTarget({ table: "proj-1.flexport.events", apiEndpoint: fake.url });
    const first = await target.migrate();
    assert.deepEqual(
      first.map((s) => [s.kind, s.object, s.applied]),
      [
        ["dataset", "proj-1.flexport", true],
        ["table", "proj-1.flexport.events", true],
        ["view", "proj-1.flexport.events_dedup", true],
        ["view", "proj-1.flexport.flexport_milestones", true],
        ["view", "proj-1.flexport.flexport_shipment_status", true],
        ["view", "proj-1.flexport.flexport_eta_estimates", true],
        ["view", "proj-1.flexport.flexport_eta_history", true],
        ...LOGISTICS_VIEWS.map((v) => ["view", `proj-1.flexport.${v}`, true]),
      ],
    );
    const table = fake.tables.get("proj-1.flexport.events");
    assert.deepEqual(
      table?.schema?.fields.map((f) => `${f.name} ${f.type}`),
      [
        "id STRING",
        "ts TIMESTAMP",
        "type STRING",
        "occurred_at TIMESTAMP",
        "created_at TIMESTAMP",
        "payload JSON",
        "source_name STRING",
        "api STRING",
      ],
    );
    assert.deepEqual(table?.timePartitioning, { type: "DAY", field: "ts" });
    assert.deepEqual(table?.clustering, { fields: ["type"] });
    const view = fake.tables.get("proj-1.flexport.events_dedup")?.view;
    assert.equal(view?.useLegacySql, false);
    assert.match(view?.query ?? "", /FROM `proj-1\.flexport\.events`/);
    assert.match(view?.query ?? "", /QUALIFY ROW_NUMBER\(\) OVER \(PARTITION BY id, ts\) = 1/);
    // The milestone views, as tables.insert bodies: after the dedup view, in dependency order,
    // standard SQL, with the placeholders replaced by the table's dataset and its _dedup view.
    const created = () =>
      fake.requests
        .filter((r) => r.method === "POST" && r.path === "/projects/proj-1/datasets/flexport/tables")
        .map(
          (r) =>
            r.body as {
              tableReference: { tableId: string };
              view?: { query: string; useLegacySql?: boolean };
            },
        );
    assert.deepEqual(
      created().map((b) => b.tableReference.tableId),
      [
        "events",
        "events_dedup",
        "flexport_milestones",
        "flexport_shipment_status",
        "flexport_eta_estimates",
        "flexport_eta_history",
        ...LOGISTICS_VIEWS,
      ],
    );
    const [milestones, status, estimates, history] = created().slice(2);
    assert.equal(milestones?.view?.useLegacySql, false);
    assert.equal(status?.view?.useLegacySql, false);
    assert.match(milestones?.view?.query ?? "", /^WITH event_types AS \(/);
    assert.match(milestones?.view?.query ?? "", /FROM `proj-1\.flexport\.events_dedup` AS e/);
    assert.match(status?.view?.query ?? "", /FROM `proj-1\.flexport\.flexport_milestones` AS m/);
    assert.match(estimates?.view?.query ?? "", /FROM `proj-1\.flexport\.flexport_milestones`/);
    assert.match(history?.view?.query ?? "", /FROM `proj-1\.flexport\.flexport_eta_estimates` AS e/);
    for (const body of [milestones, status, estimates, history]) {
      assert.doesNotMatch(body?.view?.query ?? "", /PROJECT|DATASET|CREATE|;\s*$/);
    }
    // No Google credentials go to an emulator endpoint.
    assert.ok(fake.requests.every((r) => r.authorization === undefined));

    const again = await target.migrate();
    assert.deepEqual(
      again.map((s) => s.applied),
      [false, false, false, false, false, false, false, ...LOGISTICS_VIEWS.map(() => false)],
    );
    assert.equal(created().length, 6 + LOGISTICS_VIEWS.length);
  });

  it("migrate on a table made before sources → milestone views made; Logistics API views skipped, naming source_name, api", async () => {
    fake.addTable("proj-1", "pre_sources", "events", [
      { name: "id", type: "STRING" },
      { name: "ts", type: "TIMESTAMP" },
      { name: "type", type: "STRING" },
      { name: "occurred_at", type: "TIMESTAMP" },
      { name: "created_at", type: "TIMESTAMP" },
      { name: "payload", type: "JSON" },
    ]);
    const target = new BigQueryTarget({ table: "proj-1.pre_sources.events", apiEndpoint: fake.url });
    const steps = await target.migrate();
    assert.deepEqual(
      steps.slice(3).map((s) => [s.object, s.applied, s.skipped]),
      [
        ["proj-1.pre_sources.flexport_milestones", true, undefined],
        ["proj-1.pre_sources.flexport_shipment_status", true, undefined],
        ["proj-1.pre_sources.flexport_eta_estimates", true, undefined],
        ["proj-1.pre_sources.flexport_eta_history", true, undefined],
        ...LOGISTICS_VIEWS.map((v) => [
          `proj-1.pre_sources.${v}`,
          false,
          "skipped: table events lacks source_name, api (see docs/views.md)",
        ]),
      ],
    );
  });

  it("migrate over views an earlier version made → replaced with this SQL and its version; then left alone", async () => {
    const target = new BigQueryTarget({ table: "proj-1.upgrade.events", apiEndpoint: fake.url });
    await target.migrate();
    const key = (view: string) => `proj-1.upgrade.${view}`;
    const views = ["events_dedup", "flexport_milestones", "flexport_shipment_status"];
    const current = new Map(views.map((v) => [v, fake.tables.get(key(v))?.view?.query ?? ""]));
    for (const [view, query] of current) {
      assert.deepEqual(
        fake.tables.get(key(view))?.labels,
        { [VIEW_VERSION_LABEL]: viewSqlVersion(query) },
        view,
      );
    }
    // As an earlier portcall left them: the former dedup SQL and no version label; a milestones
    // view edited by hand (its label says current, its query does not); status untouched.
    const set = (view: string, change: (t: NonNullable<ReturnType<typeof fake.tables.get>>) => object) => {
      const table = fake.tables.get(key(view));
      if (table === undefined) throw new Error(`no ${view}`);
      fake.tables.set(key(view), { ...table, ...change(table) });
    };
    set("events_dedup", () => ({
      view: {
        query:
          "SELECT * FROM `proj-1.upgrade.events` WHERE TRUE QUALIFY ROW_NUMBER() OVER (PARTITION BY id ORDER BY ts) = 1",
        useLegacySql: false,
      },
      labels: { team: "logistics" },
    }));
    set("flexport_milestones", (t) => ({
      view: { query: "SELECT 1 AS x", useLegacySql: false },
      labels: t.labels,
    }));
    const patches = () => fake.requests.filter((r) => r.method === "PATCH").length;
    const before = patches();

    const steps = await target.migrate();
    assert.deepEqual(
      steps.filter((s) => s.kind === "view").map((s) => [s.object, s.applied, s.replaced ?? false]),
      [
        ["proj-1.upgrade.events_dedup", true, true],
        ["proj-1.upgrade.flexport_milestones", true, true],
        ["proj-1.upgrade.flexport_shipment_status", false, false],
        ["proj-1.upgrade.flexport_eta_estimates", false, false],
        ["proj-1.upgrade.flexport_eta_history", false, false],
        ...LOGISTICS_VIEWS.map((v) => [`proj-1.upgrade.${v}`, false, false]),
      ],
    );
    assert.equal(patches() - before, 2);
    for (const [view, query] of current) {
      assert.equal(fake.tables.get(key(view))?.view?.query, query, `${view}: this version's SQL`);
      assert.equal(fake.tables.get(key(view))?.view?.useLegacySql, false);
      assert.equal(fake.tables.get(key(view))?.labels?.[VIEW_VERSION_LABEL], viewSqlVersion(query));
    }
    assert.equal(fake.tables.get(key("events_dedup"))?.labels?.team, "logistics", "other labels kept");

    const again = await target.migrate();
    assert.deepEqual(
      again.map((s) => s.applied),
      [false, false, false, false, false, false, false, ...LOGISTICS_VIEWS.map(() => false)],
    );
    assert.equal(patches() - before, 2);
  });

  it("migrate on the original 3-column table → milestone views skipped, naming the missing columns", async () => {
    fake.addTable("proj-1", "legacy_views", "webhooks", [
      { name: "id", type: "STRING" },
      { name: "ts", type: "DATETIME" },
      { name: "payload", type: "STRING" },
    ]);
    const target = new BigQueryTarget({ table: "proj-1.legacy_views.webhooks", apiEndpoint: fake.url });
    const steps = await target.migrate();
    assert.deepEqual(
      steps.map((s) => [s.object, s.applied, s.skipped]),
      [
        ["proj-1.legacy_views", false, undefined],
        ["proj-1.legacy_views.webhooks", false, undefined],
        ["proj-1.legacy_views.webhooks_dedup", true, undefined],
        [
          "proj-1.legacy_views.flexport_milestones",
          false,
          "skipped: table webhooks lacks type, occurred_at, created_at (see docs/views.md)",
        ],
        ...["flexport_shipment_status", "flexport_eta_estimates", "flexport_eta_history"].map((view) => [
          `proj-1.legacy_views.${view}`,
          false,
          "skipped: table webhooks lacks type, occurred_at, created_at (see docs/views.md)",
        ]),
        ...LOGISTICS_VIEWS.map((v) => [
          `proj-1.legacy_views.${v}`,
          false,
          "skipped: table webhooks lacks type, occurred_at, created_at, source_name, api (see docs/views.md)",
        ]),
      ],
    );
    assert.deepEqual(
      [...fake.tables.keys()].filter((k) => k.startsWith("proj-1.legacy_views.")),
      ["proj-1.legacy_views.webhooks", "proj-1.legacy_views.webhooks_dedup"],
    );
  });

  it("insert → one row per event, insertId = event id, every column in its type's format", async () => {
    const target = new BigQueryTarget({ table: "proj-1.flexport.events", apiEndpoint: fake.url });
    const events = [exportEvent(7_100_001), exportEvent(7_100_002)];
    const results = await target.insert(events);
    assert.deepEqual(results, [{ ok: true }, { ok: true }]);
    const rows = fake.rows("proj-1", "flexport", "events");
    assert.deepEqual(
      rows.map((r) => r.insertId),
      ["7100001", "7100002"],
    );
    assert.deepEqual(rows[0]?.json, {
      id: "7100001",
      ts: "2024-03-04T10:00:01.234Z",
      type: "/shipment_leg#departed",
      occurred_at: "2024-03-04T09:58:00.000Z",
      created_at: "2024-03-04T10:00:00.000Z",
      payload: events[0]?.payload,
      source_name: "default",
      api: "freight",
    });
  });

  it("original 3-column table (id STRING, ts DATETIME, payload STRING) → rows with only those columns", async () => {
    fake.addTable("proj-1", "legacy", "webhooks", [
      { name: "id", type: "STRING" },
      { name: "ts", type: "DATETIME" },
      { name: "payload", type: "STRING" },
    ]);
    const target = new BigQueryTarget({ table: "proj-1.legacy.webhooks", apiEndpoint: fake.url });
    const event = exportEvent(7_100_003);
    assert.deepEqual(await target.insert([event]), [{ ok: true }]);
    const rows = fake.rows("proj-1", "legacy", "webhooks");
    assert.deepEqual(rows, [
      {
        insertId: "7100003",
        json: { id: "7100003", ts: "2024-03-04 10:00:01.234000", payload: event.payload },
      },
    ]);
  });

  it("rows BigQuery rejects → a failed result per row naming the reason, nothing stored", async () => {
    fake.addTable("proj-1", "strict", "events", [
      { name: "id", type: "STRING" },
      { name: "ts", type: "TIMESTAMP" },
      { name: "region", type: "STRING", mode: "REQUIRED" },
    ]);
    const target = new BigQueryTarget({ table: "proj-1.strict.events", apiEndpoint: fake.url });
    const results = await target.insert([exportEvent(1), exportEvent(2)]);
    assert.equal(results.length, 2);
    for (const result of results) {
      assert.equal(result.ok, false);
      assert.match(result.ok ? "" : result.error, /Missing required field: region/);
    }
    assert.equal(fake.rows("proj-1", "strict", "events").length, 0);
  });

  it("one row BigQuery rejects among valid ones → only it fails; the others are stored", async () => {
    const target = new BigQueryTarget({ table: "proj-1.flexport.events", apiEndpoint: fake.url });
    const bad = { ...exportEvent(7_100_011), payload: "{not json" };
    const results = await target.insert([exportEvent(7_100_010), bad, exportEvent(7_100_012)]);
    assert.deepEqual(results[0], { ok: true });
    assert.equal(results[1]?.ok, false);
    assert.match(results[1]?.ok === false ? results[1].error : "", /Invalid JSON for field payload/);
    assert.deepEqual(results[2], { ok: true });
    const ids = fake.rows("proj-1", "flexport", "events").map((r) => r.insertId);
    assert.ok(ids.includes("7100010") && ids.includes("7100012") && !ids.includes("7100011"));
  });

  it("insertAll answering 503 → the insert rejects (so the caller retries)", async () => {
    const target = new BigQueryTarget({
      table: "proj-1.flexport.events",
      apiEndpoint: fake.url,
      maxRetries: 0,
    });
    fake.failInserts(1);
    await assert.rejects(target.insert([exportEvent(7_100_009)]));
    assert.deepEqual(await target.insert([exportEvent(7_100_009)]), [{ ok: true }]);
  });

  it("BIGQUERY_TABLE without three parts → error naming the variable", () => {
    assert.throws(
      () => parseTableRef("dataset.table"),
      /BIGQUERY_TABLE: "dataset.table" must be project.dataset.table/,
    );
  });

  it("DATETIME values → UTC wall time with microseconds, no zone", () => {
    assert.equal(toBigQueryDatetime("2024-12-31T23:59:59.5+02:00"), "2024-12-31 21:59:59.500000");
  });
});

describe("sql/bigquery/flexport_events.sql", () => {
  it("columns → the same names, types and modes portcall creates through the API", () => {
    const sql = readFileSync(packagePath("sql", "bigquery", "flexport_events.sql"), "utf8").replace(
      /--.*$/gm,
      "",
    );
    const body = sql.slice(sql.indexOf("(") + 1, sql.indexOf("\n)"));
    const columns = body
      .split("\n")
      .map((line) => line.trim().replace(/,$/, ""))
      .filter((line) => line !== "")
      .map((line) => {
        const [name, type, ...rest] = line.split(/\s+/);
        return { name, type, mode: rest.join(" ") === "NOT NULL" ? "REQUIRED" : "NULLABLE" };
      });
    assert.deepEqual(columns, eventTableSchema("JSON"));
    assert.match(sql, /PARTITION BY DATE\(ts\)\s+CLUSTER BY type;/);
  });
});
