import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { VerifiedEvent } from "../src/core/event-recorder.js";
import { verifiedEvent } from "../src/core/verified-event.js";
import { summariseEta } from "../src/dashboard/eta-summary.js";
import { loadSamples } from "../src/samples/samples.js";
import type { BoardQuery, ShipmentReports } from "../src/stores/reports.js";
import type { EventStore } from "../src/stores/store.js";
import { conformanceCorpus } from "./helpers/fixtures.js";
import { storeTargets, type TestStore } from "./helpers/stores.js";

// The board's summary rows must be exactly what the flexport_shipment_status view says, in
// every store, however the events arrived; the dashboard's ETA reading must give the rows of
// flexport_eta_history.

function verified(body: Buffer | string, sourceName = "default"): VerifiedEvent {
  const result = verifiedEvent(typeof body === "string" ? Buffer.from(body) : body, "sha256", "webhook", {
    sourceName,
    api: "freight",
  });
  if (!result.ok) throw new Error(result.message);
  return result.event;
}

function event(
  id: number,
  shipmentId: number,
  type: string,
  occurredAt: string,
  fields: object = {},
): VerifiedEvent {
  return verified(
    JSON.stringify({
      _object: "/event",
      id,
      version: 2,
      created_at: occurredAt,
      occurred_at: occurredAt,
      type,
      data: {
        _object: "/shipment_event_data",
        resource: { _object: "/shipment", id: shipmentId },
        shipment: {
          _object: "/shipment",
          id: shipmentId,
          name: `Late shipment ${shipmentId}`,
          transportation_mode: "truck",
          metadata: { purchase_order: ["PO-LATE-1"] },
          ...fields,
        },
        location: null,
        containers: [{ _object: "/ocean/shipment_container", container_number: "LATE1234567" }],
      },
    }),
  );
}

const all: BoardQuery = { sort: "activity", descending: true, offset: 0, limit: 1000 };

function initialEvents(): VerifiedEvent[] {
  const events = loadSamples().map((s) => verified(s.bytes));
  const corpus = conformanceCorpus();
  if (corpus) events.push(...corpus.entries.map((e) => verified(corpus.read(e.file))));
  return events;
}

for (const target of await storeTargets()) {
  describe(`dashboard reports on ${target.name}`, { skip: target.skip ?? false }, () => {
    let installation: TestStore;
    let store: EventStore;
    let reports: ShipmentReports;
    const statusView = async () =>
      (await store.reports().shipments({})).sort((a, b) => a.shipment_id.localeCompare(b.shipment_id));
    const board = async (query: Partial<BoardQuery> = {}) => (await reports.board({ ...all, ...query })).rows;

    before(async () => {
      installation = await target.create();
      store = await installation.open();
      await store.migrate();
      await Promise.all(initialEvents().map((e) => store.insertIfAbsent(e, new Date())));
      reports = store.reports();
    });

    after(async () => {
      await store?.close();
      await installation?.destroy();
    });

    it("refresh folds every queued event → board rows equal flexport_shipment_status", async () => {
      assert.ok((await reports.pendingSummaries()).events > 0);
      const folded = await reports.refresh();
      assert.equal(folded, initialEvents().length);
      assert.deepEqual(await reports.pendingSummaries(), { events: 0, shipments: 0 });
      const rows = (await board()).sort((a, b) => a.shipment_id.localeCompare(b.shipment_id));
      assert.deepEqual(rows, await statusView());
      assert.equal(await reports.refresh(), 0, "nothing left to fold");
    });

    it("events arriving later and out of order → the touched shipment is recomputed, the rest kept", async () => {
      await store.insertIfAbsent(
        event(9_500_001, 3_100_001, "/shipment#weather_delay", "2024-06-02T00:00:00.000Z"),
        new Date(),
      );
      await reports.refresh();
      assert.equal((await reports.shipment("3100001"))?.status, "exception");
      // Delivered after the delay, but received first... then an older event arrives last.
      await store.insertIfAbsent(
        event(9_500_003, 3_100_001, "/shipment#delivered_in_full", "2024-06-05T00:00:00.000Z"),
        new Date(),
      );
      await store.insertIfAbsent(
        event(9_500_002, 3_100_001, "/shipment#created", "2024-06-01T00:00:00.000Z"),
        new Date(),
      );
      // A redelivery queues nothing.
      await store.record(
        event(9_500_002, 3_100_001, "/shipment#created", "2024-06-01T00:00:00.000Z"),
        new Date(),
      );
      assert.deepEqual(await reports.pendingSummaries(), { events: 2, shipments: 0 });
      assert.equal(await reports.refresh(), 2);
      const row = await reports.shipment("3100001");
      assert.equal(row?.status, "delivered");
      assert.equal(row?.event_count, 3);
      assert.equal(row?.latest_milestone_label, "Delivered in full");
      assert.deepEqual(
        (await board()).sort((a, b) => a.shipment_id.localeCompare(b.shipment_id)),
        await statusView(),
      );
    });

    it("search → by id, name, PO, container and bill of lading, case-insensitively; LIKE wildcards are literal", async () => {
      const ids = async (search: string) => (await board({ search })).map((r) => r.shipment_id).sort();
      assert.deepEqual(await ids("csnu7182041"), ["2714306"]);
      assert.deepEqual(await ids("NKL-24-0917"), ["2742917"]);
      assert.deepEqual(await ids("po-late-1"), ["3100001"]);
      assert.deepEqual(await ids("LATE1234567"), ["3100001"]);
      assert.deepEqual(await ids("2731558"), ["2731558"]);
      assert.deepEqual(await ids("servo drives"), ["2731558"]);
      assert.deepEqual(await ids("%"), []);
      assert.deepEqual(await ids("_"), []);
      if (conformanceCorpus()) {
        assert.deepEqual(await ids("FLXTFCNUS1988514A"), ["1988514"], "house bill of lading");
        assert.deepEqual(await ids("160-93089415"), ["1231314"], "master airway bill");
      }
    });

    it("filters, sorting and pages → the rows and total the query asks for", async () => {
      const everything = await board();
      const exceptions = await reports.board({ ...all, status: "exception" });
      assert.equal(exceptions.total, everything.filter((r) => r.status === "exception").length);
      assert.ok(exceptions.rows.every((r) => r.status === "exception"));
      assert.deepEqual(
        (await board({ flag: "customs_hold" })).map((r) => r.shipment_id),
        everything.filter((r) => r.customs_hold_open).map((r) => r.shipment_id),
      );
      assert.deepEqual(
        (await board({ mode: "truck" })).map((r) => r.shipment_id),
        ["3100001"],
      );
      const byEvents = await board({ sort: "events", descending: true });
      for (let i = 1; i < byEvents.length; i += 1) {
        assert.ok((byEvents[i - 1]?.event_count ?? 0) >= (byEvents[i]?.event_count ?? 0));
      }
      const page2 = await reports.board({ ...all, limit: 2, offset: 2 });
      assert.equal(page2.total, everything.length);
      assert.deepEqual(
        page2.rows.map((r) => r.shipment_id),
        everything.slice(2, 4).map((r) => r.shipment_id),
      );
      const counts = await reports.statusCounts();
      assert.equal(counts.delivered + counts["in-transit"] + counts.exception, everything.length);
      assert.ok((await reports.modes()).includes("truck"));
    });

    it("source filter → shipments with an event from that source; the sources shipments came through", async () => {
      const before = (await board()).map((r) => r.shipment_id).sort();
      assert.deepEqual(await reports.shipmentSources(), ["default"]);
      const fromEu = (e: VerifiedEvent) => verified(e.payload, "eu");
      await store.insertIfAbsent(
        fromEu(event(9_500_101, 3_100_101, "/shipment#created", "2024-06-03T00:00:00.000Z")),
        new Date(),
      );
      // A shipment whose events came through two sources is found by either.
      await store.insertIfAbsent(
        fromEu(event(9_500_102, 3_100_001, "/shipment_leg#departed", "2024-06-03T00:00:00.000Z")),
        new Date(),
      );
      await reports.refresh();
      assert.deepEqual(await reports.shipmentSources(), ["default", "eu"]);
      const ids = async (query: Partial<BoardQuery>) => (await board(query)).map((r) => r.shipment_id).sort();
      assert.deepEqual(await ids({ source: "eu" }), ["3100001", "3100101"]);
      assert.deepEqual(await ids({ source: "default" }), before);
      assert.deepEqual(await ids({ source: "eu", status: "delivered" }), ["3100001"]);
      assert.deepEqual(await ids({ source: "us" }), []);
      assert.equal((await reports.board({ ...all, source: "eu" })).total, 2);
    });

    it("ETA estimates summarised → the same changes as the flexport_eta_history view", async () => {
      for (const row of await board()) {
        const estimates = await reports.etaEstimates(row.shipment_id);
        const history = await reports.etaHistory(row.shipment_id);
        for (const kind of ["departure", "arrival"] as const) {
          const expected = history
            .filter((h) => h.kind === kind)
            .map((h) => ({
              event_id: h.event_id,
              at: Date.parse(h.estimated_at ?? ""),
              slip: h.slip_seconds,
            }));
          const actual = summariseEta(estimates, kind).changes.map((c) => ({
            event_id: c.event_id,
            at: Date.parse(c.estimated_at),
            slip: c.slip_seconds,
          }));
          assert.deepEqual(actual, expected, `${row.shipment_id} ${kind}`);
        }
      }
      const arrival = summariseEta(await reports.etaEstimates("2742917"), "arrival");
      assert.equal(arrival.first?.estimated, "2024-10-24T06:00:00.000+02:00");
      assert.equal(arrival.latest?.estimated, "2024-10-28T14:00:00.000+01:00");
      assert.equal(arrival.total_slip_seconds, (4 * 24 + 9) * 3600);
    });

    it("milestones of a shipment → in order of occurrence, with the place's time zone", async () => {
      const milestones = await reports.milestones("2714306");
      const times = milestones.map((m) => m.occurred_at ?? m.created_at ?? "");
      assert.deepEqual(times, [...times].sort());
      assert.ok(milestones.some((m) => m.location_timezone === "America/Los_Angeles"));
      assert.equal(await reports.shipmentOfEvent(milestones[0]?.event_id ?? ""), "2714306");
      assert.equal(await reports.shipmentOfEvent("no-such-event"), undefined);
    });

    it("export state and backlog → none without sinks; last received is the latest first delivery", async () => {
      assert.deepEqual(await reports.exportStates("7102247"), []);
      assert.deepEqual(await reports.exportBacklog(), []);
      const last = await reports.lastReceivedAt();
      assert.ok(last !== null && Date.now() - Date.parse(last) < 60_000);
    });

    it("export backlog → waiting, failing and dead letters per sink; the latest dead letters", async () => {
      const sql = async (text: string) => {
        const handle = (store as unknown as { database: unknown }).database;
        if (target.name === "sqlite") (handle as { exec(sql: string): void }).exec(text);
        else await (handle as { query(sql: string): Promise<unknown> }).query(text);
      };
      const now = "'2024-06-01T00:00:00.000Z'";
      await sql(
        `INSERT INTO portcall_sinks (name, target, enabled_at) VALUES ('archive', 'file:/x', ${now})`,
      );
      await sql(
        `INSERT INTO portcall_outbox (sink, event_id, attempts, next_attempt_at, last_error, enqueued_at) VALUES
         ('archive', '7102247', 0, ${now}, NULL, ${now}), ('archive', '7118015', 3, ${now}, 'disk full', ${now})`,
      );
      const before = await reports.exportBacklog();
      assert.deepEqual(
        before.map((b) => [b.sink, b.enabled, b.pending, b.failing, b.dead]),
        [["archive", true, 2, 1, 0]],
      );
      assert.deepEqual(await reports.deadLetters(10), []);
      assert.equal((await reports.exportStates("7102247"))[0]?.state, "pending");
      assert.equal((await reports.exportStates("7126582"))[0]?.state, "exported");

      // The sink gives up on one row (as the exporter marks a dead letter).
      await sql(`UPDATE portcall_outbox SET dead_at = ${now} WHERE event_id = '7118015'`);
      const fresh = reports;
      assert.deepEqual(
        (await fresh.exportBacklog()).map((b) => [b.pending, b.failing, b.dead]),
        [[1, 0, 1]],
      );
      assert.equal((await fresh.exportStates("7118015"))[0]?.state, "dead");
      assert.deepEqual(
        (await fresh.deadLetters(10)).map((d) => [d.sink, d.event_id, d.attempts, d.last_error]),
        [["archive", "7118015", 3, "disk full"]],
      );
    });

    it("3 MiB payloads → one per fold step, so a step never holds many large bodies", {
      skip: target.name !== "sqlite" && "the byte bound is the SQLite fold's (its writer thread folds)",
    }, async () => {
      const padding = { notes: "x".repeat(3 * 1024 * 1024) };
      const big = [0, 1, 2].map((i) =>
        event(9_700_000 + i, 3_300_000, "/shipment_leg#departed", "2024-07-02T00:00:00.000Z", padding),
      );
      for (const e of big) await store.insertIfAbsent(e, new Date());
      assert.equal(await reports.refresh(0), 1, "one 3 MiB event per step");
      assert.equal(await reports.refresh(), 2);
      assert.equal((await reports.shipment("3300000"))?.event_count, 3);
    });

    it("refresh with a budget → one chunk at a time, the rest on the next call", async () => {
      const many = Array.from({ length: 450 }, (_, i) =>
        event(
          9_600_000 + i,
          3_200_000 + (i % 3),
          "/shipment_leg#departed",
          `2024-07-01T00:${String(i % 60).padStart(2, "0")}:00.000Z`,
        ),
      );
      await Promise.all(many.map((e) => store.insertIfAbsent(e, new Date())));
      assert.equal(await reports.refresh(0), 200, "one chunk of events");
      assert.equal((await reports.pendingSummaries()).events, 250);
      assert.equal(await reports.refresh(), 250);
      assert.deepEqual(await reports.pendingSummaries(), { events: 0, shipments: 0 });
      assert.equal((await reports.shipment("3200000"))?.event_count, 150);
      assert.deepEqual(
        (await board()).sort((a, b) => a.shipment_id.localeCompare(b.shipment_id)),
        await statusView(),
      );
    });
  });
}
