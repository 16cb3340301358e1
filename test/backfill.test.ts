import assert from "node:assert/strict";
import { existsSync, readdirSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import Database from "better-sqlite3";
import pg from "pg";
import { BackfillInterrupted, type BackfillSummary, runBackfill } from "../src/backfill/backfill.js";
import { loadFlexportApiConfig } from "../src/backfill/backfill-config.js";
import type { EventsQuery } from "../src/backfill/flexport-events-client.js";
import { openFlexportEventsClient } from "../src/backfill/open-flexport-client.js";
import { FlexportApiError } from "../src/backfill/retry.js";
import { parseEnvelope } from "../src/core/envelope.js";
import { loadSamples, SAMPLES_DIR } from "../src/samples/samples.js";
import type { EventStore } from "../src/stores/store.js";
import {
  BIG_EVENT_ID,
  type FakeFlexportApi,
  fakeApiEvents,
  startFakeFlexportApi,
} from "./fakes/fake-flexport-api.js";
import { deliver, startTestServer } from "./helpers/http.js";
import { storeTargets, type TestStore } from "./helpers/stores.js";
import { tempDir } from "./helpers/temp.js";

const API_TOKEN = "fake-api-key-for-tests";
const ALL: EventsQuery = { since: "2000-01-01T00:00:00.000Z" };
const samples = existsSync(SAMPLES_DIR) ? loadSamples().map((s) => s.bytes) : [];
const served = fakeApiEvents(samples);
const idOf = (text: string) => {
  const parsed = parseEnvelope(Buffer.from(text));
  assert.ok(parsed.ok);
  return parsed.envelope.id;
};
// The webhooks got every other event; two of them twice.
const delivered = served.filter((_, i) => i % 2 === 0);
const missed = served.filter((_, i) => i % 2 === 1);
const deliveredTwice = delivered.slice(0, 2);

interface Run {
  readonly summary: BackfillSummary;
  /** Retry waits the client asked for, in milliseconds (none of them actually slept). */
  readonly waits: number[];
}

function backfill(
  store: EventStore,
  api: FakeFlexportApi,
  dataDir: string,
  options: {
    dryRun?: boolean;
    query?: EventsQuery;
    maxAttempts?: number;
    signal?: AbortSignal;
    progress?: (line: string) => void;
  } = {},
): Promise<Run> {
  const config = loadFlexportApiConfig({ FLEXPORT_API_URL: api.url, FLEXPORT_API_TOKEN: API_TOKEN });
  const waits: number[] = [];
  const client = openFlexportEventsClient(config, {
    dataDir,
    retry: {
      sleep: async (ms) => void waits.push(ms),
      maxAttempts: options.maxAttempts ?? config.maxAttempts,
    },
  });
  return runBackfill({
    store,
    client,
    apiUrl: config.apiUrl,
    query: options.query ?? ALL,
    dryRun: options.dryRun ?? false,
    dataDir,
    signal: options.signal,
    progress: options.progress,
  }).then((summary) => ({ summary, waits }));
}

/** Deletes rows behind portcall's back, through a connection of the test's own. */
async function deleteEvents(installation: TestStore, ids: readonly string[]): Promise<void> {
  const schema = installation.env.PORTCALL_DB_SCHEMA;
  if (schema === undefined) {
    const db = new Database(installation.databaseUrl.replace(/^sqlite:/, ""));
    try {
      db.pragma("busy_timeout = 5000");
      const remove = db.prepare("DELETE FROM flexport_events WHERE id = ?");
      for (const id of ids) assert.equal(remove.run(id).changes, 1);
    } finally {
      db.close();
    }
    return;
  }
  const client = new pg.Client({ connectionString: installation.databaseUrl });
  await client.connect();
  try {
    const result = await client.query(`DELETE FROM ${schema}.flexport_events WHERE id = ANY($1)`, [ids]);
    assert.equal(result.rowCount, ids.length);
  } finally {
    await client.end();
  }
}

async function allEvents(store: EventStore) {
  return (await store.listEvents({})).sort((a, b) => a.id.localeCompare(b.id));
}

for (const target of await storeTargets()) {
  describe(`backfill on ${target.name}`, { skip: target.skip ?? false }, () => {
    let installation: TestStore;
    let store: EventStore;
    let api: FakeFlexportApi;
    const dataDir = tempDir();

    before(async () => {
      installation = await target.create();
      store = await installation.open();
      await store.migrate();
      const server = await startTestServer(store);
      try {
        for (const text of [...delivered, ...deliveredTwice]) {
          assert.equal((await deliver(server.webhookUrl, text)).status, 200);
        }
      } finally {
        await server.close();
      }
      api = await startFakeFlexportApi({ events: served, pageSize: 4, apiToken: API_TOKEN });
    });

    after(async () => {
      await api?.close();
      await store?.close();
      await installation?.destroy();
    });

    it("--dry-run → exactly the missed ids, counted by type; nothing written", async () => {
      const beforeRows = await allEvents(store);
      const { summary } = await backfill(store, api, dataDir, { dryRun: true });
      assert.equal(summary.fetched, served.length);
      assert.equal(summary.present, delivered.length);
      assert.equal(summary.missing, missed.length);
      assert.deepEqual(summary.missing_events.map((e) => e.id).sort(), missed.map(idOf).sort());
      const expectedByType: Record<string, number> = {};
      for (const text of missed) {
        const parsed = parseEnvelope(Buffer.from(text));
        assert.ok(parsed.ok);
        expectedByType[parsed.envelope.type] = (expectedByType[parsed.envelope.type] ?? 0) + 1;
      }
      for (const [type, counts] of Object.entries(summary.by_type)) {
        assert.equal(counts.missing, expectedByType[type] ?? 0, type);
      }
      assert.deepEqual(await allEvents(store), beforeRows);
      assert.deepEqual(readdirSync(dataDir), [], "a dry run leaves no resume state");
    });

    it("backfill through 429 (Retry-After), 500, dropped connections → the gap filled exactly", async () => {
      const beforeRows = new Map((await allEvents(store)).map((e) => [e.id, e]));
      api.inject({ status: 429, headers: { "retry-after": "2" }, page: 2 });
      api.inject({ status: 500, page: 3 });
      api.inject({ status: "reset", page: 3 });
      api.inject({ status: "truncate", page: 1 });
      const { summary, waits } = await backfill(store, api, dataDir);

      assert.equal(summary.fetched, served.length);
      assert.equal(summary.present, delivered.length);
      assert.equal(summary.missing, missed.length);
      assert.ok(waits.includes(2000), `Retry-After: 2 → a 2 s wait (asked: ${waits.join(", ")})`);
      assert.equal(waits.length, 4, "one wait per injected failure");

      const rows = await allEvents(store);
      assert.equal(rows.length, served.length, "nothing doubled");
      for (const text of missed) {
        const stored = await store.getEvent(idOf(text));
        assert.ok(stored, `event ${idOf(text)} was inserted`);
        assert.equal(stored.payload, text, "byte-exact: the element's own text from the API response");
        assert.equal(stored.source, "backfill");
        assert.equal(stored.signature_alg, null);
        assert.equal(stored.deliveries, 1);
      }
      for (const row of rows.filter((r) => beforeRows.has(r.id))) {
        assert.deepEqual(row, beforeRows.get(row.id), `webhook event ${row.id} untouched`);
      }
      assert.ok(
        rows.some((r) => r.id === BIG_EVENT_ID),
        "the id above 2^53 kept as its exact text",
      );
      assert.equal(rows.filter((r) => r.deliveries === 2).length, deliveredTwice.length);
      assert.deepEqual(readdirSync(dataDir), [], "resume state removed once complete");
    });

    it("re-run → no gap, nothing written", async () => {
      const beforeRows = await allEvents(store);
      const { summary } = await backfill(store, api, dataDir);
      assert.equal(summary.fetched, served.length);
      assert.equal(summary.missing, 0);
      assert.equal(summary.present, served.length);
      assert.deepEqual(await allEvents(store), beforeRows);
    });

    it("events deleted from the database → the next backfill restores exactly those", async () => {
      const gone = [idOf(delivered[1] ?? ""), idOf(missed[0] ?? ""), BIG_EVENT_ID];
      await deleteEvents(installation, gone);
      const { summary } = await backfill(store, api, dataDir);
      assert.deepEqual(summary.missing_events.map((e) => e.id).sort(), [...gone].sort());
      assert.equal(summary.present, served.length - gone.length);
      for (const id of gone) {
        const stored = await store.getEvent(id);
        assert.equal(
          stored?.payload,
          served.find((text) => idOf(text) === id),
        );
        assert.equal(stored?.source, "backfill");
      }
    });

    it("--type and --until → the API asked with f.type and f.occurred_at.lte, only matches counted", async () => {
      const query = {
        since: "2024-03-02T00:00:00.000Z",
        until: "2024-03-08T00:00:00.000Z",
        type: "/shipment_leg#arrived",
      };
      const expected = served.filter((text) => {
        const e = JSON.parse(text) as { type: string; occurred_at: string };
        const at = Date.parse(e.occurred_at);
        return e.type === query.type && at >= Date.parse(query.since) && at <= Date.parse(query.until);
      });
      assert.ok(expected.length > 0);
      const from = api.requests.length;
      const { summary } = await backfill(store, api, dataDir, { query, dryRun: true });
      assert.equal(summary.fetched, expected.length);
      const first = new URL(api.requests[from]?.path ?? "", api.url);
      assert.equal(first.searchParams.get("f.type"), query.type);
      assert.equal(first.searchParams.get("f.occurred_at.gte"), query.since);
      assert.equal(first.searchParams.get("f.occurred_at.lte"), query.until);
    });
  });

  describe(`backfill resume on ${target.name}`, { skip: target.skip ?? false }, () => {
    let installation: TestStore;
    let store: EventStore;
    let api: FakeFlexportApi;

    before(async () => {
      installation = await target.create();
      store = await installation.open();
      await store.migrate();
      api = await startFakeFlexportApi({ events: served, pageSize: 3, apiToken: API_TOKEN });
    });

    after(async () => {
      await api?.close();
      await store?.close();
      await installation?.destroy();
    });

    it("page 3 failing past the attempts → clear error; the next run resumes at page 3", async () => {
      const dataDir = tempDir();
      api.inject({ status: 503, page: 3, times: 3 });
      await assert.rejects(backfill(store, api, dataDir, { maxAttempts: 3 }), (error: unknown) => {
        assert.ok(error instanceof FlexportApiError);
        assert.match(error.message, /gave up after 3 attempts \(last: HTTP 503\)/);
        return true;
      });
      assert.equal((await store.listEvents({})).length, 6, "pages 1 and 2 stored");
      assert.equal(readdirSync(dataDir).filter((f) => f.startsWith("backfill-")).length, 1);

      const from = api.requests.length;
      const { summary } = await backfill(store, api, dataDir);
      const pages = api.requests.slice(from).map((r) => r.page);
      assert.equal(pages[0], 3, "resumes at the page that failed");
      assert.ok(
        !pages.includes(1) && !pages.includes(2),
        `finished pages not refetched (${pages.join(",")})`,
      );
      assert.equal(summary.resumed, true);
      assert.equal(summary.fetched, served.length, "counts include the pages before the failure");
      assert.equal(summary.missing, served.length);
      assert.equal((await store.listEvents({})).length, served.length);
      assert.deepEqual(readdirSync(dataDir), []);
    });

    it("abort after page 1 → BackfillInterrupted; resume fetches only later pages", async () => {
      const dataDir = tempDir();
      const stop = new AbortController();
      const from = api.requests.length;
      await assert.rejects(
        backfill(store, api, dataDir, {
          query: { since: "2024-01-01T00:00:00.000Z" },
          signal: stop.signal,
          progress: (line) => {
            if (line.startsWith("page 1:")) stop.abort();
          },
        }),
        BackfillInterrupted,
      );
      assert.deepEqual(
        api.requests.slice(from).map((r) => r.page),
        [1],
      );
      const resumeFrom = api.requests.length;
      const { summary } = await backfill(store, api, dataDir, {
        query: { since: "2024-01-01T00:00:00.000Z" },
      });
      assert.equal(api.requests[resumeFrom]?.page, 2);
      assert.equal(summary.resumed, true);
      assert.equal(summary.missing, 0, "everything was stored by the previous test");
    });
  });
}
