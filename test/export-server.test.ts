import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { createFileArchive } from "../src/archive/file-archive.js";
import { loadConfig } from "../src/config/config.js";
import { packagePath } from "../src/paths.js";
import { createLogger } from "../src/server/logger.js";
import { type RunningServer, startServer } from "../src/server/server.js";
import { type FakeBigQuery, startFakeBigQuery } from "./fakes/fake-bigquery-server.js";
import { makeEvent } from "./helpers/fixtures.js";
import { deliver, TEST_SECRET } from "./helpers/http.js";
import { storeTargets, type TestStore } from "./helpers/stores.js";
import { tempDir } from "./helpers/temp.js";

const run = promisify(execFile);

for (const target of await storeTargets()) {
  describe(`serve with ARCHIVE_URL and BIGQUERY_TABLE on ${target.name}`, { skip: target.skip }, () => {
    let installation: TestStore;
    let bigquery: FakeBigQuery;
    let env: Record<string, string>;
    let archiveDir: string;

    before(async () => {
      installation = await target.create();
      bigquery = await startFakeBigQuery();
      archiveDir = tempDir();
      env = {
        ...installation.env,
        FLEXPORT_WEBHOOK_SECRET: TEST_SECRET,
        ARCHIVE_URL: `file:${archiveDir}`,
        BIGQUERY_TABLE: "proj.flexport.events",
        BIGQUERY_API_ENDPOINT: bigquery.url,
        PORTCALL_EXPORT_POLL_MS: "20",
        PORTCALL_EXPORT_RETRY_BASE_MS: "10",
        PORTCALL_EXPORT_RETRY_MAX_MS: "50",
        HOST: "127.0.0.1",
        PORT: "0",
      };
    });
    after(async () => {
      await bigquery.close();
      await installation.destroy();
    });

    it("portcall migrate → database tables, then BigQuery dataset, table, _dedup and milestone views", async () => {
      const cli = packagePath("dist", "src", "cli", "main.js");
      const { stdout } = await run(process.execPath, [cli, "migrate"], { env: { ...process.env, ...env } });
      assert.match(stdout, /export_outbox\s+applied now/);
      assert.match(stdout, /proj\.flexport\s+dataset\s+created now/);
      assert.match(stdout, /proj\.flexport\.events\s+table\s+created now/);
      assert.match(stdout, /proj\.flexport\.events_dedup\s+view\s+created now/);
      assert.match(stdout, /proj\.flexport\.flexport_milestones\s+view\s+created now/);
      assert.match(stdout, /proj\.flexport\.flexport_shipment_status\s+view\s+created now/);
      const again = await run(process.execPath, [cli, "migrate"], { env: { ...process.env, ...env } });
      assert.match(again.stdout, /proj\.flexport\.events\s+table\s+already there/);
      assert.match(again.stdout, /proj\.flexport\.flexport_shipment_status\s+view\s+already there/);
      // An upgrade over a view with other SQL replaces it, and says so.
      const dedup = bigquery.tables.get("proj.flexport.events_dedup");
      assert.ok(dedup?.view);
      bigquery.tables.set("proj.flexport.events_dedup", { ...dedup, view: { query: "SELECT 1 AS id" } });
      const upgrade = await run(process.execPath, [cli, "migrate"], { env: { ...process.env, ...env } });
      assert.match(upgrade.stdout, /proj\.flexport\.events_dedup\s+view\s+replaced \(SQL changed\)/);
      assert.match(upgrade.stdout, /proj\.flexport\.flexport_milestones\s+view\s+already there/);
    });

    it("deliveries → 200 after the commit; the exporter then fills the archive and BigQuery; close stops it", async () => {
      let server: RunningServer | undefined;
      bigquery.failInserts(2);
      try {
        server = await startServer(
          loadConfig(env),
          { secrets: [TEST_SECRET], source: "env" },
          createLogger("silent"),
          env,
        );
        const ids: string[] = [];
        for (let id = 9_000_001; id <= 9_000_010; id++) {
          const response = await deliver(`${server.url}/webhooks/flexport`, makeEvent({ id }));
          assert.equal(response.status, 200);
          ids.push(String(id));
        }
        const archive = createFileArchive({ dir: archiveDir });
        const deadline = Date.now() + 15_000;
        const archived = async () => {
          let n = 0;
          for await (const _ of archive.list({})) n++;
          return n;
        };
        while (
          (await archived()) < ids.length ||
          bigquery.rows("proj", "flexport", "events").length < ids.length
        ) {
          if (Date.now() > deadline) throw new Error("export did not finish");
          await new Promise((r) => setTimeout(r, 25));
        }
        const rows = bigquery.rows("proj", "flexport", "events");
        assert.deepEqual(rows.map((r) => r.insertId).sort(), ids);
        for (const id of ids) {
          const stored = await server.store.getEvent(id);
          const bytes = await archive.get(`dt=${stored?.received_at.slice(0, 10)}/${id}.json`);
          assert.equal(createHash("sha256").update(bytes).digest("hex"), stored?.payload_sha256);
        }
        const metrics = await (await fetch(`${server.url}/metrics`)).text();
        assert.match(metrics, /^portcall_export_dead_letters\{sink="bigquery"\} 0$/m);
        assert.match(metrics, /^portcall_export_dead_letters\{sink="archive"\} 0$/m);
      } finally {
        await server?.close();
      }
      const cli = packagePath("dist", "src", "cli", "main.js");
      const { stdout } = await run(process.execPath, [cli, "status", "--json"], {
        env: { ...process.env, ...env },
      });
      const status = JSON.parse(stdout) as { sink: string; backlog: number; lastError: string | null }[];
      assert.deepEqual(
        status.map((s) => [s.sink, s.backlog]),
        [
          ["archive", 0],
          ["bigquery", 0],
        ],
      );
      assert.notEqual(status.find((s) => s.sink === "bigquery")?.lastError, null);
    });
  });
}
