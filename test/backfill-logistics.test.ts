import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { BackfillInterrupted, runBackfill } from "../src/backfill/backfill.js";
import { loadLogisticsApiConfig } from "../src/backfill/backfill-config.js";
import { openFlexportEventsClient } from "../src/backfill/open-flexport-client.js";
import { LOGISTICS_SAMPLES_DIR, loadSamples } from "../src/samples/samples.js";
import type { EventStore } from "../src/stores/store.js";
import {
  type FakeFlexportApi,
  LOGISTICS_API_VERSION,
  LOGISTICS_EVENTS_PATH,
  startFakeFlexportApi,
} from "./fakes/fake-flexport-api.js";
import { deliver, startTestServer } from "./helpers/http.js";
import { storeTargets, type TestStore } from "./helpers/stores.js";
import { tempDir } from "./helpers/temp.js";

const TOKEN = "logistics-list-token";
const PUSH_TOKEN = "logistics-push-token";
const samples = loadSamples(LOGISTICS_SAMPLES_DIR);
const texts = samples.map((s) => s.bytes.toString("utf8"));
/** The list's shape: {id, type, time, payload}, the payload being the pushed body as is. */
const items = texts.map((text, i) => {
  const body = JSON.parse(text) as Record<string, unknown>;
  const id = typeof body.logisticsEventId === "string" ? body.logisticsEventId : `list-${i}`;
  const type = typeof body.logisticsEventType === "string" ? body.logisticsEventType : "Return.Updated";
  const time =
    typeof body.logisticsEventTime === "string" ? body.logisticsEventTime : "2024-10-15T09:00:00.000Z";
  return `{"id":${JSON.stringify(id)},"type":${JSON.stringify(type)},"time":"${time}","payload":${text}}`;
});
const pushed = texts.filter((_, i) => i % 2 === 0);
const missed = texts.filter((_, i) => i % 2 === 1);
const source = { sourceName: "fulfilment", api: "logistics" as const };
const sources = {
  fulfilment: {
    api: "logistics" as const,
    auth: "token" as const,
    token_header: "X-Token",
    token: PUSH_TOKEN,
  },
};

for (const target of await storeTargets()) {
  describe(`Logistics API backfill on ${target.name}`, { skip: target.skip ?? false }, () => {
    let installation: TestStore;
    let store: EventStore;
    let api: FakeFlexportApi;
    const dataDir = tempDir();

    const run = (options: { signal?: AbortSignal } = {}) => {
      const config = loadLogisticsApiConfig({
        FLEXPORT_LOGISTICS_API_URL: api.url,
        FLEXPORT_LOGISTICS_API_VERSION: LOGISTICS_API_VERSION,
        FLEXPORT_LOGISTICS_API_TOKEN: TOKEN,
      });
      const waits: number[] = [];
      const client = openFlexportEventsClient(config, {
        api: "logistics",
        dataDir,
        perPage: 3,
        retry: { sleep: async (ms) => void waits.push(ms) },
      });
      return runBackfill({
        store,
        client,
        apiUrl: config.apiUrl,
        query: { since: "2024-01-01T00:00:00.000Z" },
        dryRun: false,
        dataDir,
        source,
        signal: options.signal,
      }).then((summary) => ({ summary, waits }));
    };
    const push = async (bodies: readonly string[]) => {
      const server = await startTestServer(store, { sources });
      try {
        return await Promise.all(
          bodies.map((b) =>
            deliver(`${server.webhookUrl}/fulfilment`, b, {
              sign: false,
              headers: { "x-token": PUSH_TOKEN },
            }),
          ),
        );
      } finally {
        await server.close();
      }
    };

    before(async () => {
      installation = await target.create();
      store = await installation.open();
      await store.migrate();
      for (const answer of await push(pushed)) assert.equal(answer.json.status, "stored");
      api = await startFakeFlexportApi({ events: [], logisticsItems: items, pageSize: 3, apiToken: TOKEN });
    });
    after(async () => {
      await api?.close();
      await store?.close();
      await installation?.destroy();
    });

    it("interrupted after a page, then resumed through a 429 → exactly the missed events, paged by page_info", async () => {
      const stop = new AbortController();
      api.inject({ status: 429, headers: { "retry-after": "3" }, path: LOGISTICS_EVENTS_PATH, page: 2 });
      // Stop after the first page: the resume state keeps its page_info cursor.
      const first = run({ signal: stop.signal });
      stop.abort();
      await assert.rejects(first, BackfillInterrupted);
      const { summary, waits } = await run();
      assert.equal(summary.resumed, true);
      assert.equal(summary.fetched, texts.length);
      assert.equal(summary.present, pushed.length);
      assert.equal(summary.missing, missed.length);
      assert.ok(summary.pages >= 3, `paged (${summary.pages} pages)`);
      assert.deepEqual(waits, [3000], "the Retry-After of the 429 was honoured");
      assert.ok(
        api.requests.some((r) => r.path.includes("page_info=")),
        "later pages were asked for by page_info",
      );
      const rows = (await store.listEvents({ source: "fulfilment" })).filter((e) => e.source === "backfill");
      assert.equal(rows.length, missed.length);
      for (const row of rows) {
        const stored = await store.getEvent(row.id);
        assert.ok(missed.includes(stored?.payload ?? ""), "backfilled bytes are the payload's exact text");
        assert.equal(stored?.api, "logistics");
      }
    });

    it("a later push of a backfilled event → a duplicate, not a conflict (same id or same body hash)", async () => {
      const answers = await push(missed);
      assert.deepEqual(
        answers.map((a) => a.json.status),
        missed.map(() => "duplicate"),
      );
      assert.deepEqual(await store.listRejects({ source: "fulfilment" }), []);
    });

    it("a second run → everything already stored, nothing inserted", async () => {
      const { summary } = await run();
      assert.equal(summary.missing, 0);
      assert.equal(summary.present, texts.length);
    });
  });
}
