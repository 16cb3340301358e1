import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { openFlexportEventsClient } from "../../src/backfill/open-flexport-client.js";
import { openDestination } from "../../src/destinations/open-destination.js";
import { createReconciler } from "../../src/reconcile/reconciler.js";
import type { EventStore } from "../../src/stores/store.js";
import { type FakeFlexportApi, startFakeFlexportApi } from "../fakes/fake-flexport-api.js";
import { makeEvent } from "../helpers/fixtures.js";
import { deliver, startTestServer, TEST_SECRET } from "../helpers/http.js";
import { type RecordingReceiver, startRecordingReceiver } from "../helpers/recording-receiver.js";
import { startServe } from "../helpers/serve.js";
import { storeTargets, type TestStore } from "../helpers/stores.js";
import { tempDir } from "../helpers/temp.js";
import { HOOK_SECRET, verifiedById, webhookTo } from "./support.js";

const API_TOKEN = "fake-flexport-api-token";
const YEARS = 10 * 365 * 86_400_000;

for (const target of await storeTargets()) {
  describe(`reconcile on ${target.name}`, { skip: target.skip }, () => {
    let installation: TestStore;
    let stores: EventStore[] = [];
    let api: FakeFlexportApi;
    let receiver: RecordingReceiver;
    const events = [1, 2, 3, 4, 5, 6].map((n) =>
      makeEvent({
        id: 8_800_000 + n,
        occurred_at: `2024-05-0${n}T10:00:00.000Z`,
        type: "/shipment_leg#arrived",
      }),
    );
    const dropped = [events[2], events[5]] as string[];

    before(async () => {
      installation = await target.create();
      stores = [await installation.open(), await installation.open()];
      await stores[0]?.migrate();
      const server = await startTestServer(stores[0] as EventStore);
      try {
        // Flexport delivered all six; two deliveries were lost on the way.
        for (const body of events.filter((e) => !dropped.includes(e))) {
          assert.equal((await deliver(server.webhookUrl, body)).status, 200);
        }
      } finally {
        await server.close();
      }
      api = await startFakeFlexportApi({ events, pageSize: 4, apiToken: API_TOKEN });
      receiver = await startRecordingReceiver();
    });
    after(async () => {
      await receiver?.close();
      await api?.close();
      for (const store of stores) await store.close();
      await installation?.destroy();
    });

    test("two receivers, deliveries dropped → one reconciles, fills the gap as backfill, alerts it once", async () => {
      const destination = await openDestination(webhookTo("ops", `${receiver.url}/ops`));
      const reconcilers = stores.map((store) =>
        createReconciler({
          store,
          client: openFlexportEventsClient(
            { apiUrl: api.url, credentials: { kind: "api-key", token: API_TOKEN }, maxAttempts: 2 },
            { dataDir: tempDir() },
          ),
          apiUrl: api.url,
          dataDir: tempDir(),
          everyMs: 60_000,
          overlapMs: YEARS,
          destinations: [destination],
        }),
      );
      const [first, second] = reconcilers;
      assert.ok(first && second);
      const runs = [await first.runOnce(), await second.runOnce()];
      assert.deepEqual(
        runs.map((r) => r.ran),
        [true, false],
        "the second receiver finds the lease held",
      );
      assert.equal(runs[0]?.summary?.missing, 2);

      const store = stores[0] as EventStore;
      for (const body of dropped) {
        const id = String((JSON.parse(body) as { id: number }).id);
        assert.equal((await store.getEvent(id))?.source, "backfill");
      }
      const alerts = verifiedById(receiver.accepted);
      assert.equal(alerts.size, 1);
      const [alert] = [...alerts.values()];
      const data = (JSON.parse(alert?.body ?? "{}") as { data: { title: string; details: string[] } }).data;
      assert.match(data.title, /Gap found: 2 event/);
      assert.match(data.details.join(" "), /8800003, 8800006/);

      // The next runs find nothing missing: no second alert.
      assert.equal((await first.runOnce()).summary?.missing, 0);
      assert.equal(receiver.accepted.length, 1);
      await destination.close();
    });
  });
}

test("portcall serve with PORTCALL_RECONCILE_EVERY → fills a gap by itself and alerts it once", async () => {
  const events = [1, 2, 3].map((n) =>
    makeEvent({ id: 8_900_000 + n, occurred_at: `2024-06-0${n}T10:00:00.000Z` }),
  );
  const api = await startFakeFlexportApi({ events, apiToken: API_TOKEN });
  const receiver = await startRecordingReceiver();
  const dir = tempDir();
  writeFileSync(
    `${dir}/portcall.yaml`,
    `destinations:\n  ops:\n    type: webhook\n    url: ${receiver.url}/ops\n    secretEnv: HOOK_SECRET\n`,
  );
  const serve = await startServe({
    DATABASE_URL: `sqlite:${dir}/portcall.db`,
    PORTCALL_DATA_DIR: dir,
    PORTCALL_CONFIG: `${dir}/portcall.yaml`,
    HOOK_SECRET,
    FLEXPORT_WEBHOOK_SECRET: TEST_SECRET,
    FLEXPORT_API_URL: api.url,
    FLEXPORT_API_TOKEN: API_TOKEN,
    PORTCALL_RECONCILE_EVERY: "1s",
    PORTCALL_RECONCILE_OVERLAP: "3650d",
  });
  try {
    // One of the three reaches the receiver as a webhook; the other two never do.
    assert.equal((await deliver(serve.webhookUrl, events[0] as string)).status, 200);
    const deadline = Date.now() + 15_000;
    while (receiver.accepted.length === 0) {
      assert.ok(Date.now() < deadline, `no gap alert: ${serve.logs.slice(-5).join("\n")}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    await new Promise((r) => setTimeout(r, 2500)); // two more runs
    const alerts = [...verifiedById(receiver.accepted).values()];
    assert.equal(alerts.length, 1, "one gap alert, whatever the later runs find");
    assert.match(alerts[0]?.body ?? "", /Gap found: \d event/);
  } finally {
    await serve.stop();
    await receiver.close();
    await api.close();
  }
});
