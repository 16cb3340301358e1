import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { eventsFor } from "../../src/alerts/destination-sink.js";
import type { Rule } from "../../src/alerts/rule-engine.js";
import { loadSamples } from "../../src/samples/samples.js";
import { alertIdOf } from "../../src/stores/alert-log.js";
import type { EventStore } from "../../src/stores/store.js";
import { makeEvent } from "../helpers/fixtures.js";
import { deliver, startTestServer, type TestServer } from "../helpers/http.js";
import { type RecordingReceiver, startRecordingReceiver } from "../helpers/recording-receiver.js";
import { storeTargets, type TestStore } from "../helpers/stores.js";
import { alertingRig, historical, verifiedById, webhookTo } from "./support.js";

/** How long the flaky destination stays down (PORTCALL_TEST_OUTAGE_MS): a minute in CI, shortened locally. */
const OUTAGE_MS = Number(process.env.PORTCALL_TEST_OUTAGE_MS ?? 1500);

test("eventsFor: the types a destination's rules name, webhook only unless a rule wants history; everything with an ETA rule", () => {
  const rule = (name: string, when: Rule["when"]): Rule => ({ name, send: "alert", to: ["d"], when });
  assert.deepEqual(
    eventsFor([
      rule("a", { types: ["/shipment_leg#departed"] }),
      rule("b", { types: ["/shipment#customs_*"] }),
    ]),
    { types: ["/shipment#customs_*", "/shipment_leg#departed"], webhookOnly: true },
  );
  assert.deepEqual(
    eventsFor([rule("a", { types: ["/x"] }), rule("b", { condition: "exception", history: true })]),
    { webhookOnly: false },
  );
  assert.equal(eventsFor([rule("a", { types: ["/x"] }), rule("b", { condition: "eta_slip" })]), undefined);
  assert.deepEqual(eventsFor([]), { types: [], webhookOnly: true });
});

for (const target of await storeTargets()) {
  describe(`alerts on ${target.name}`, { skip: target.skip }, () => {
    let installation: TestStore;
    let store: EventStore;
    let server: TestServer;
    let receiver: RecordingReceiver;
    before(async () => {
      installation = await target.create();
      store = await installation.open();
      await store.migrate();
      server = await startTestServer(store);
      receiver = await startRecordingReceiver();
    });
    after(async () => {
      await receiver?.close();
      await server?.close();
      await store?.close();
      await installation?.destroy();
    });

    test("samples, then every sample redelivered, then replayed and backfilled history → each alert once", async () => {
      const rig = await alertingRig(store, [webhookTo("hooks", `${receiver.url}/a`)]);
      try {
        const samples = loadSamples();
        for (const s of samples) assert.equal((await deliver(server.webhookUrl, s.bytes)).status, 200);
        await rig.drain();
        const first = verifiedById(receiver.accepted.filter((r) => r.path === "/a"));
        const titles = [...first.values()].map(
          (v) => (JSON.parse(v.body) as { data: { rule: string } }).data.rule,
        );
        assert.deepEqual(titles, ["customs-holds", "exceptions", "eta-slips"]);

        for (const s of samples) assert.equal((await deliver(server.webhookUrl, s.bytes)).status, 200);
        await rig.drain();
        // A hold seen for the first time, but only by replay or backfill: history stays quiet.
        await store.insertIfAbsent(
          historical(makeEvent({ id: 91, type: "/shipment#customs_agriculture_hold" }), "replay"),
          new Date(),
        );
        await store.insertIfAbsent(
          historical(makeEvent({ id: 92, type: "/shipment#weather_delay" }), "backfill"),
          new Date(),
        );
        await rig.drain();
        const all = receiver.accepted.filter((r) => r.path === "/a");
        assert.equal(all.length, 3, "no request after the first three");
        const listed = await rig.alerts.log.list({ limit: 10 });
        assert.deepEqual(
          listed.map((a) => a.status),
          ["sent", "sent", "sent"],
        );
      } finally {
        await rig.close();
      }
    });

    test("openAll opens a batch of alerts in one call: statuses in order, a repeat opened once, sent ones found", async () => {
      const log = store.alertLog();
      const alert = (subject: string) => ({
        destination: "batch",
        rule: "r",
        subject,
        eventId: subject,
        message: {
          id: alertIdOf("batch", "r", subject),
          rule: "r",
          title: `title ${subject}`,
          shipmentId: null,
          shipmentName: null,
          eventId: subject,
          eventType: null,
          milestone: null,
          where: null,
          when: null,
          details: [],
          link: null,
        },
      });
      assert.deepEqual(await log.openAll([]), []);
      assert.deepEqual(await log.openAll([alert("a"), alert("b"), alert("a")]), [
        "pending",
        "pending",
        "pending",
      ]);
      await log.markSentAll([alertIdOf("batch", "r", "a")]);
      assert.deepEqual(await log.openAll([alert("b"), alert("a"), alert("c")]), [
        "pending",
        "sent",
        "pending",
      ]);
      const rows = await log.list({ limit: 10, destination: "batch" });
      assert.deepEqual(rows.map((r) => `${r.subject}:${r.status}:${r.attempts}`).sort(), [
        "a:sent:1",
        "b:pending:0",
        "c:pending:0",
      ]);
    });

    test("the outbox queues for a filtered sink only the types it names (exact or prefix), webhook only, until the filter changes", async () => {
      const outbox = store.outbox();
      const sink = "destination:filtered";
      await outbox.enableSinks([
        {
          name: sink,
          target: "memory:filtered",
          events: { types: ["/shipment#customs_*", "/shipment_leg#departed"], webhookOnly: true },
        },
      ]);
      try {
        const types: [number, string][] = [
          [301, "/shipment#customs_agriculture_hold"],
          [302, "/shipment_leg#departed"],
          [303, "/shipment_leg#arrived"],
          [304, "/shipment#customs"],
        ];
        for (const [id, type] of types)
          assert.equal((await deliver(server.webhookUrl, makeEvent({ id, type }))).status, 200);
        await store.insertIfAbsent(
          historical(makeEvent({ id: 305, type: "/shipment_leg#departed" }), "replay"),
          new Date(),
        );
        const claimedIds = async () =>
          (await outbox.claim(sink, 50, 60_000, { ordered: true })).map((c) => c.eventId);
        const first = await claimedIds();
        assert.deepEqual(first, ["301", "302"]);
        await outbox.complete(sink, first);
        // Without a filter, every event committed from now on is queued.
        await outbox.enableSinks([{ name: sink, target: "memory:filtered" }]);
        assert.equal(
          (await deliver(server.webhookUrl, makeEvent({ id: 306, type: "/shipment_leg#arrived" }))).status,
          200,
        );
        await store.insertIfAbsent(
          historical(makeEvent({ id: 307, type: "/shipment#booked" }), "backfill"),
          new Date(),
        );
        assert.deepEqual(await claimedIds(), ["306", "307"]);
      } finally {
        await outbox.enableSinks([]);
      }
    });

    test(`a destination down for ${OUTAGE_MS} ms → retried with backoff, then drains in commit order`, async () => {
      const path = "/flaky";
      const downUntil = Date.now() + OUTAGE_MS;
      receiver.answer = (r) => (r.path === path && Date.now() < downUntil ? 503 : 200);
      const rig = await alertingRig(store, [webhookTo("flaky", `${receiver.url}${path}`)]);
      rig.exporter.start();
      try {
        const ids = [101, 109, 102, 120, 103, 1000, 104];
        for (const id of ids) {
          const body = makeEvent({ id, type: "/shipment#port_strike_delay", shipmentId: 5000 + id });
          assert.equal((await deliver(server.webhookUrl, body)).status, 200);
        }
        const deadline = Date.now() + OUTAGE_MS + 15_000;
        while (receiver.accepted.filter((r) => r.path === path).length < ids.length) {
          assert.ok(Date.now() < deadline, "drained in time");
          await new Promise((r) => setTimeout(r, 20));
        }
        const refused = receiver.requests.filter((r) => r.path === path && !receiver.accepted.includes(r));
        assert.ok(refused.length >= 1, "the destination was tried while down");
        const order = receiver.accepted
          .filter((r) => r.path === path)
          .map((r) => (JSON.parse(r.body) as { data: { eventId: string } }).data.eventId);
        assert.deepEqual(order, ids.map(String));
      } finally {
        receiver.answer = () => 200;
        await rig.close();
      }
    });

    test("a destination that always refuses → its alerts become dead letters; the other destination gets all", async () => {
      receiver.answer = (r) => (r.path === "/broken" ? 400 : 200);
      const rig = await alertingRig(store, [
        webhookTo("broken", `${receiver.url}/broken`, 2),
        webhookTo("fine", `${receiver.url}/fine`),
      ]);
      rig.exporter.start();
      try {
        for (const id of [201, 202, 203]) {
          assert.equal(
            (await deliver(server.webhookUrl, makeEvent({ id, type: "/shipment#missing_cargo" }))).status,
            200,
          );
        }
        const deadline = Date.now() + 15_000;
        for (;;) {
          const status = await rig.outbox.status();
          const broken = status.find((s) => s.sink === "destination:broken");
          const fine = receiver.accepted.filter((r) => r.path === "/fine").length;
          if (broken?.deadLetters === 3 && broken.backlog === 0 && fine === 3) break;
          assert.ok(
            Date.now() < deadline,
            `dead letters and deliveries: ${JSON.stringify(status)} fine=${fine}`,
          );
          await new Promise((r) => setTimeout(r, 20));
        }
        assert.equal(
          receiver.requests.filter((r) => r.path === "/broken").length,
          6,
          "two attempts each, then dead",
        );
        const dead = (await rig.alerts.log.list({ limit: 20, destination: "broken" })).map((a) => a.status);
        assert.deepEqual(dead, ["dead", "dead", "dead"]);
      } finally {
        receiver.answer = () => 200;
        await rig.close();
      }
    });
  });
}
