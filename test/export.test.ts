import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { Registry } from "prom-client";
import type { Archive } from "../src/archive/archive.js";
import { createFileArchive } from "../src/archive/file-archive.js";
import { registerExportMetrics } from "../src/export/export-metrics.js";
import { createExporter, retryDelayMs } from "../src/export/exporter.js";
import { packagePath } from "../src/paths.js";
import { createArchiveSink } from "../src/sinks/archive-sink.js";
import { BigQueryTarget, createBigQuerySink } from "../src/sinks/bigquery-sink.js";
import type { ExportEvent, ExportResult, ExportSink } from "../src/sinks/export-sink.js";
import type { Outbox } from "../src/stores/outbox.js";
import type { EventStore } from "../src/stores/store.js";
import { type FakeBigQuery, startFakeBigQuery } from "./fakes/fake-bigquery-server.js";
import { makeEvent } from "./helpers/fixtures.js";
import { deliver, startTestServer } from "./helpers/http.js";
import { storeTargets, type TestStore } from "./helpers/stores.js";
import { tempDir } from "./helpers/temp.js";

const run = promisify(execFile);
const FAST = { pollMs: 10, retryBaseMs: 5, retryMaxMs: 40 };

/** Records every event it accepts; fails (throws) its first `failFirst` deliveries. */
function recordingSink(name: string, options: { failFirst?: number; delayMs?: number } = {}) {
  let failuresLeft = options.failFirst ?? 0;
  const delivered: ExportEvent[] = [];
  const sink: ExportSink = {
    name,
    target: `memory:${name}`,
    async deliver(events): Promise<ExportResult[]> {
      if (options.delayMs !== undefined) await new Promise((r) => setTimeout(r, options.delayMs));
      if (failuresLeft > 0) {
        failuresLeft--;
        throw new Error(`${name} is down`);
      }
      delivered.push(...events);
      return events.map(() => ({ ok: true }));
    },
  };
  return { sink, delivered };
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function backlog(outbox: Outbox, sink: string): Promise<number> {
  return (await outbox.status()).find((s) => s.sink === sink)?.backlog ?? -1;
}

/** Delivers events with ids first..first+count-1 over HTTP to the real app on `store`. */
async function receiveEvents(store: EventStore, first: number, count: number): Promise<string[]> {
  const server = await startTestServer(store);
  try {
    const ids: string[] = [];
    for (let id = first; id < first + count; id++) {
      const response = await deliver(server.webhookUrl, makeEvent({ id }));
      assert.equal(response.status, 200);
      ids.push(String(id));
    }
    return ids;
  } finally {
    await server.close();
  }
}

function counts(ids: readonly string[]): Map<string, number> {
  const map = new Map<string, number>();
  for (const id of ids) map.set(id, (map.get(id) ?? 0) + 1);
  return map;
}

for (const target of await storeTargets()) {
  describe(`exporter on ${target.name}`, { skip: target.skip }, () => {
    let installation: TestStore;
    let store: EventStore;
    let outbox: Outbox;
    let bigquery: FakeBigQuery;

    before(async () => {
      bigquery = await startFakeBigQuery();
      installation = await target.create();
      store = await installation.open();
      await store.migrate();
      outbox = store.outbox();
    });
    after(async () => {
      await store.close();
      await installation.destroy();
      await bigquery.close();
    });

    it("no sink enabled → committing events queues nothing", async () => {
      await outbox.enableSinks([]);
      await receiveEvents(store, 1_000, 3);
      assert.deepEqual(await outbox.status(), []);
    });

    it("archive and BigQuery failing several times, then recovering → every event in each once, none lost", async () => {
      const archiveDir = tempDir();
      const archive: Archive = createFileArchive({ dir: archiveDir });
      bigquery.addTable("proj", "ds", "events", [
        { name: "id", type: "STRING", mode: "REQUIRED" },
        { name: "ts", type: "TIMESTAMP", mode: "REQUIRED" },
        { name: "type", type: "STRING" },
        { name: "occurred_at", type: "TIMESTAMP" },
        { name: "created_at", type: "TIMESTAMP" },
        { name: "payload", type: "JSON" },
      ]);
      const bq = createBigQuerySink(
        new BigQueryTarget({ table: "proj.ds.events", apiEndpoint: bigquery.url, maxRetries: 0 }),
      );
      // The archive fails through a flaky wrapper; BigQuery through the fake answering 503.
      let archiveFailures = 4;
      const flakyArchive: Archive = {
        ...archive,
        description: archive.description,
        put: async (event) => {
          if (archiveFailures > 0) {
            archiveFailures--;
            throw new Error("archive unavailable (injected)");
          }
          return archive.put(event);
        },
        get: (key) => archive.get(key),
        list: (range) => archive.list(range),
        read: (key) => archive.read(key),
      };
      const sinks = [createArchiveSink(flakyArchive), bq];
      await outbox.enableSinks(sinks.map((s) => ({ name: s.name, target: s.target })));
      bigquery.failInserts(3);

      const ids = await receiveEvents(store, 2_000, 25);
      // A redelivery of a stored event is not queued again.
      await receiveEvents(store, 2_000, 2);
      assert.equal(await backlog(outbox, "archive"), 25);
      assert.equal(await backlog(outbox, "bigquery"), 25);

      const exporter = createExporter({ outbox, sinks, batchSize: 10, ...FAST });
      exporter.start();
      try {
        await waitFor(
          "both backlogs to drain",
          async () => (await backlog(outbox, "archive")) === 0 && (await backlog(outbox, "bigquery")) === 0,
        );
      } finally {
        await exporter.stop();
      }

      const status = await outbox.status();
      assert.match(status.find((s) => s.sink === "archive")?.lastError ?? "", /injected/);
      assert.match(status.find((s) => s.sink === "bigquery")?.lastError ?? "", /503|injected|Service/i);
      const rows = bigquery.rows("proj", "ds", "events");
      assert.deepEqual(
        [...counts(rows.map((r) => r.json.id as string)).entries()].sort(),
        ids.map((id) => [id, 1]).sort(),
      );
      assert.ok(rows.every((r) => r.insertId === r.json.id));
      for (const id of ids) {
        const stored = await store.getEvent(id);
        assert.ok(stored);
        const bytes = await archive.get(`dt=${stored.received_at.slice(0, 10)}/${id}.json`);
        assert.equal(createHash("sha256").update(bytes).digest("hex"), stored.payload_sha256);
      }
    });

    it("original 3-column BigQuery table → still receives every event, ts as DATETIME", async () => {
      bigquery.addTable("proj", "legacy", "webhooks", [
        { name: "id", type: "STRING" },
        { name: "ts", type: "DATETIME" },
        { name: "payload", type: "STRING" },
      ]);
      const sink = createBigQuerySink(
        new BigQueryTarget({ table: "proj.legacy.webhooks", apiEndpoint: bigquery.url, maxRetries: 0 }),
      );
      await outbox.enableSinks([{ name: sink.name, target: sink.target }]);
      const ids = await receiveEvents(store, 3_000, 5);
      const exporter = createExporter({ outbox, sinks: [sink], ...FAST });
      assert.equal(await exporter.runOnce(), 5);
      const rows = bigquery.rows("proj", "legacy", "webhooks");
      assert.deepEqual(
        rows.map((r) => r.json.id),
        ids,
      );
      for (const row of rows) {
        assert.deepEqual(Object.keys(row.json).sort(), ["id", "payload", "ts"]);
        assert.match(String(row.json.ts), /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6}$/);
        assert.equal(row.json.payload, (await store.getEvent(String(row.json.id)))?.payload);
      }
    });

    it("restart mid-backlog, and a batch claimed by a crashed exporter → delivered after its lease, once", async () => {
      const first = recordingSink("memory", { delayMs: 30 });
      await outbox.enableSinks([{ name: "memory", target: "memory:" }]);
      const ids = await receiveEvents(store, 4_000, 30);

      // A crashed exporter: it claimed 5 rows with a short lease and never came back.
      const orphaned = await outbox.claim("memory", 5, 300);
      assert.equal(orphaned.length, 5);

      const exporter = createExporter({ outbox, sinks: [first.sink], batchSize: 5, ...FAST });
      exporter.start();
      await waitFor("a first batch", async () => first.delivered.length >= 5);
      await exporter.stop();
      const left = await backlog(outbox, "memory");
      assert.ok(left > 0 && left < 30, `backlog after stop: ${left}`);

      // A new process: its own store object and outbox on the same database.
      const reopened = await installation.open();
      const outbox2 = reopened.outbox();
      const second = recordingSink("memory");
      const exporter2 = createExporter({ outbox: outbox2, sinks: [second.sink], batchSize: 5, ...FAST });
      exporter2.start();
      try {
        await waitFor("the rest of the backlog", async () => (await backlog(outbox2, "memory")) === 0);
      } finally {
        await exporter2.stop();
        await reopened.close();
      }
      const all = [...first.delivered, ...second.delivered].map((e) => e.id);
      assert.deepEqual([...counts(all).entries()].sort(), ids.map((id) => [id, 1]).sort());
      for (const id of orphaned.map((o) => o.eventId)) assert.ok(second.delivered.some((e) => e.id === id));
    });

    it("portcall status → shows the backlog draining, its age and the last error", async () => {
      const failing = recordingSink("memory", { failFirst: 1 });
      await outbox.enableSinks([{ name: "memory", target: "memory:" }]);
      await receiveEvents(store, 5_000, 12);
      const status = async () => {
        const { stdout } = await run(
          process.execPath,
          [packagePath("dist", "src", "cli", "main.js"), "status", "--json"],
          {
            env: { ...process.env, ...installation.env },
          },
        );
        return JSON.parse(stdout) as {
          sink: string;
          backlog: number;
          oldestPendingAgeSeconds: number | null;
          lastError: string | null;
        }[];
      };
      const before = (await status()).find((s) => s.sink === "memory");
      assert.equal(before?.backlog, 12);
      assert.equal(typeof before?.oldestPendingAgeSeconds, "number");

      const exporter = createExporter({
        outbox,
        sinks: [failing.sink],
        batchSize: 5,
        ...FAST,
        retryBaseMs: 1,
      });
      assert.equal(await exporter.runOnce(), 5); // fails: rows stay, with the error
      await new Promise((r) => setTimeout(r, 5));
      assert.equal(await exporter.runOnce(), 5); // delivered
      const middle = (await status()).find((s) => s.sink === "memory");
      assert.ok(
        middle !== undefined && middle.backlog < 12 && middle.backlog > 0,
        `backlog ${middle?.backlog}`,
      );
      assert.equal(middle.lastError, "memory is down");
      while ((await exporter.runOnce()) > 0) await new Promise((r) => setTimeout(r, 5));
      const done = (await status()).find((s) => s.sink === "memory");
      assert.equal(done?.backlog, 0);
      assert.equal(done?.oldestPendingAgeSeconds, null);

      const { stdout } = await run(
        process.execPath,
        [packagePath("dist", "src", "cli", "main.js"), "status"],
        {
          env: { ...process.env, ...installation.env },
        },
      );
      assert.match(stdout, /^SINK\s+STATE\s+TARGET\s+BACKLOG/m);
      assert.match(stdout, /memory\s+enabled\s+memory:\s+0\s/);
      assert.match(stdout, /archive\s+disabled/);
    });

    it("a sink rejecting one event as invalid → dead letter after maxAttempts; outages never dead-letter", async () => {
      await outbox.enableSinks([{ name: "picky", target: "memory:picky" }]);
      const ids = await receiveEvents(store, 7_000, 6);
      const refused = new Set(["7002", "7004"]);
      let down = true;
      const delivered: string[] = [];
      const picky: ExportSink = {
        name: "picky",
        target: "memory:picky",
        maxAttempts: 3,
        async deliver(events) {
          if (down) throw new Error("picky is down");
          return events.map((e) => {
            if (refused.has(e.id)) return { ok: false, error: `refused ${e.id}`, invalid: true };
            delivered.push(e.id);
            return { ok: true };
          });
        },
      };
      const exporter = createExporter({
        outbox,
        sinks: [picky],
        maxAttempts: 99,
        ...FAST,
        retryBaseMs: 1,
        retryMaxMs: 1,
      });
      const drain = async () => {
        for (let round = 0; round < 50 && (await backlog(outbox, "picky")) > 0; round++) {
          await exporter.runOnce();
          await new Promise((r) => setTimeout(r, 3));
        }
      };
      // An outage: many more failed attempts than maxAttempts, and nothing is given up on.
      for (let i = 0; i < 5; i++) {
        await exporter.runOnce();
        await new Promise((r) => setTimeout(r, 3));
      }
      let status = (await outbox.status()).find((s) => s.sink === "picky");
      assert.equal(status?.backlog, 6);
      assert.equal(status?.deadLetters, 0);
      assert.ok((status?.maxAttempts ?? 0) >= 5, `attempts during the outage: ${status?.maxAttempts}`);

      // Back up: the attempts made during the outage count, so the refused pair dies at once
      // on its next invalid answer; the rest is delivered.
      await outbox.retryDead({}); // nothing dead yet: a no-op
      down = false;
      await drain();
      status = (await outbox.status()).find((s) => s.sink === "picky");
      assert.equal(status?.backlog, 0);
      assert.equal(status?.deadLetters, 2);
      assert.deepEqual(delivered.sort(), ids.filter((id) => !refused.has(id)).sort());
      const dead = await outbox.deadLetters({ sink: "picky" }, 10);
      assert.deepEqual(
        dead.map((d) => d.eventId),
        ["7002", "7004"],
      );
      for (const d of dead) {
        assert.equal(d.lastError, `refused ${d.eventId}`);
        assert.ok(d.attempts >= 3, `attempts ${d.attempts}`);
        assert.ok(!Number.isNaN(Date.parse(d.deadAt)));
      }
      // Dead rows are not claimed again.
      assert.deepEqual(await outbox.claim("picky", 10, 1000), []);

      // Retried one by id: it is due again with a fresh count, and dies after exactly 3 more.
      assert.equal(await outbox.retryDead({ sink: "picky", eventIds: ["7004"] }), 1);
      assert.equal((await outbox.deadLetters({ sink: "picky" }, 10)).length, 1);
      for (let attempt = 1; attempt <= 3; attempt++) {
        assert.equal(await exporter.runOnce(), 1, `attempt ${attempt} claims the retried row`);
        await new Promise((r) => setTimeout(r, 3));
      }
      assert.equal(await exporter.runOnce(), 0);
      const again = await outbox.deadLetters({ eventIds: ["7004"] }, 10);
      assert.equal(again[0]?.attempts, 3);

      // Accepted now: retry all, deliver, nothing left.
      refused.clear();
      assert.equal(await outbox.retryDead({ sink: "picky" }), 2);
      await drain();
      status = (await outbox.status()).find((s) => s.sink === "picky");
      assert.equal(status?.deadLetters, 0);
      assert.deepEqual(delivered.sort(), [...ids].sort());
    });

    it("BigQuery rejecting rows as invalid → dead letters in status, metric and CLI; export retry --dead delivers them", async () => {
      // A column someone added as REQUIRED: BigQuery answers "invalid" for every row.
      const schema = [
        { name: "id", type: "STRING", mode: "REQUIRED" },
        { name: "ts", type: "TIMESTAMP", mode: "REQUIRED" },
        { name: "payload", type: "JSON" },
      ];
      bigquery.addTable("proj", "dl", "events", [
        ...schema,
        { name: "tenant", type: "STRING", mode: "REQUIRED" },
      ]);
      const sink = createBigQuerySink(
        new BigQueryTarget({ table: "proj.dl.events", apiEndpoint: bigquery.url, maxRetries: 0 }),
      );
      await outbox.enableSinks([{ name: sink.name, target: sink.target }]);
      const ids = await receiveEvents(store, 8_000, 3);
      const exporter = createExporter({
        outbox,
        sinks: [sink],
        maxAttempts: 2,
        ...FAST,
        retryBaseMs: 1,
        retryMaxMs: 1,
      });
      assert.equal(await exporter.runOnce(), 3);
      assert.equal(await backlog(outbox, "bigquery"), 3, "one invalid answer is retried");
      await new Promise((r) => setTimeout(r, 3));
      assert.equal(await exporter.runOnce(), 3);
      assert.equal(await backlog(outbox, "bigquery"), 0);

      const cli = (args: string[]) =>
        run(process.execPath, [packagePath("dist", "src", "cli", "main.js"), ...args], {
          env: { ...process.env, ...installation.env },
        });
      const status = JSON.parse((await cli(["status", "--json"])).stdout) as {
        sink: string;
        backlog: number;
        deadLetters: number;
      }[];
      assert.deepEqual(
        status.filter((s) => s.sink === "bigquery").map((s) => [s.backlog, s.deadLetters]),
        [[0, 3]],
      );
      const table = (await cli(["status"])).stdout;
      assert.match(table, /^SINK\s+STATE\s+TARGET\s+BACKLOG\s+OLDEST PENDING\s+DEAD/m);
      assert.match(table, /bigquery\s+enabled\s+bigquery:proj\.dl\.events\s+0\s+-\s+3\s/);
      assert.match(table, /3 dead letter\(s\)/);

      const registry = new Registry();
      registerExportMetrics(registry, outbox);
      assert.match(await registry.metrics(), /^portcall_export_dead_letters\{sink="bigquery"\} 3$/m);

      const listed = JSON.parse((await cli(["export", "dead", "--sink", "bigquery", "--json"])).stdout) as {
        eventId: string;
        attempts: number;
        lastError: string;
      }[];
      assert.deepEqual(
        listed.map((d) => d.eventId),
        ids,
      );
      assert.ok(
        listed.every((d) => d.attempts === 2 && /invalid: Missing required field: tenant/.test(d.lastError)),
      );
      assert.match((await cli(["export", "dead"])).stdout, /^SINK\s+EVENT ID\s+ATTEMPTS/m);

      const usage = await cli(["export", "retry"]).then(
        () => assert.fail("export retry without --dead must fail"),
        (error: { code: number; stderr: string }) => error,
      );
      assert.equal(usage.code, 2);
      assert.match(usage.stderr, /--dead/);

      // The table is fixed; the dead letters go back in the queue and are delivered.
      bigquery.addTable("proj", "dl", "events", schema);
      assert.match(
        (await cli(["export", "retry", "--dead", "--sink", "bigquery"])).stdout,
        /^3 dead letter\(s\) queued again/,
      );
      assert.match((await cli(["export", "retry", "--dead"])).stdout, /no dead letters matched/);
      assert.equal(await exporter.runOnce(), 3);
      assert.deepEqual(
        bigquery.rows("proj", "dl", "events").map((r) => r.json.id),
        ids,
      );
      assert.match(await registry.metrics(), /^portcall_export_dead_letters\{sink="bigquery"\} 0$/m);
    });

    if (target.name === "postgres") {
      it("two exporters on one database → each event delivered once (SKIP LOCKED)", async () => {
        await outbox.enableSinks([{ name: "memory", target: "memory:" }]);
        const ids = await receiveEvents(store, 6_000, 40);
        const a = recordingSink("memory", { delayMs: 5 });
        const b = recordingSink("memory", { delayMs: 5 });
        const other = await installation.open();
        const outboxB = other.outbox();
        const exporters = [
          createExporter({ outbox, sinks: [a.sink], batchSize: 4, ...FAST }),
          createExporter({ outbox: outboxB, sinks: [b.sink], batchSize: 4, ...FAST }),
        ];
        for (const e of exporters) e.start();
        try {
          await waitFor("the backlog", async () => (await backlog(outbox, "memory")) === 0);
        } finally {
          await Promise.all(exporters.map((e) => e.stop()));
          await other.close();
        }
        const all = [...a.delivered, ...b.delivered].map((e) => e.id);
        assert.deepEqual([...counts(all).entries()].sort(), ids.map((id) => [id, 1]).sort());
        assert.ok(a.delivered.length > 0 && b.delivered.length > 0, "both exporters took a share");
      });
    }
  });
}

describe("retry delay", () => {
  it("attempts → doubling delays with jitter, capped", () => {
    assert.equal(
      retryDelayMs(0, 1000, 60_000, () => 0),
      500,
    );
    assert.equal(
      retryDelayMs(0, 1000, 60_000, () => 1),
      1000,
    );
    assert.equal(
      retryDelayMs(3, 1000, 60_000, () => 1),
      8000,
    );
    assert.equal(
      retryDelayMs(20, 1000, 60_000, () => 1),
      60_000,
    );
    assert.equal(
      retryDelayMs(20, 1000, 60_000, () => 0),
      30_000,
    );
  });
});
