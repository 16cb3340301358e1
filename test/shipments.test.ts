import assert from "node:assert/strict";
import { existsSync, writeFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import type { VerifiedEvent } from "../src/core/event-recorder.js";
import { loadSamples, SAMPLES_DIR } from "../src/samples/samples.js";
import type { MilestoneRow, ShipmentStatusRow } from "../src/stores/reports.js";
import { jsonOf, runCli } from "./helpers/cli.js";
import { conformanceCorpus } from "./helpers/fixtures.js";
import { TEST_SECRET } from "./helpers/http.js";
import { startServe } from "./helpers/serve.js";
import { storeTargets, type TestStore } from "./helpers/stores.js";
import { tempDir } from "./helpers/temp.js";
import { toVerified } from "./helpers/view-events.js";

type Json = Record<string, unknown>;

const at = (day: number) => new Date(Date.parse("2025-07-01T00:00:00.000Z") + day * 86_400_000).toISOString();

function event(id: number, type: string, day: number, shipmentId: number, data: Json = {}): Buffer {
  const shipment = {
    _object: "/shipment",
    id: shipmentId,
    name: `CLI shipment ${shipmentId}`,
    transportation_mode: "ocean",
  };
  return Buffer.from(
    JSON.stringify({
      _object: "/event",
      id,
      version: 2,
      created_at: at(day),
      occurred_at: at(day),
      type,
      data: {
        _object: "/shipment_event_data",
        resource: shipment,
        shipment,
        location: null,
        containers: [],
        ...data,
      },
    }),
  );
}

const busan = {
  _object: "/shipment_node",
  place: {
    _object: "/place",
    name: "Busan, South Korea",
    address: { _object: "/address", unlocode: "KRPUS" },
  },
};

/** One shipment per status, so every filter has something to find without any corpus. */
const OWN_EVENTS = [
  event(8_000_001, "/shipment#created", 1, 8_100_001),
  event(8_000_002, "/shipment_leg#departed", 3, 8_100_001, {
    resource: { _object: "/shipment_leg", id: 81 },
    location: busan,
    containers: [{ container_number: "MSCU1111111" }, { container_number: "MSCU2222222" }],
  }),
  event(8_000_003, "/shipment#delivered_in_full", 9, 8_100_001),
  event(8_000_011, "/shipment#created", 2, 8_100_002),
  event(8_000_012, "/shipment#customs_entry_release_status_pending_intensive_exam", 5, 8_100_002),
  event(8_000_021, "/shipment#created", 4, 8_100_003),
  event(8_000_022, "/shipment_leg#departed", 6, 8_100_003, {
    resource: { _object: "/shipment_leg", id: 82 },
    location: busan,
  }),
];

/** The shipment an event belongs to, read from its JSON (as the views define it). */
function shipmentOf(payload: string): string | null {
  const data = (JSON.parse(payload) as { data?: Json }).data ?? {};
  const resource = (data.resource ?? {}) as Json;
  const id =
    (data.shipment as Json | null)?.id ??
    (resource.shipment as Json | undefined)?.id ??
    (resource._object === "/shipment" ? resource.id : undefined);
  return id === undefined || id === null ? null : String(id);
}

function corpusEvents(): VerifiedEvent[] {
  const corpus = conformanceCorpus();
  const bodies = [...(corpus?.entries.map((e) => corpus.read(e.file)) ?? []), ...OWN_EVENTS];
  const byId = new Map(bodies.map((b) => toVerified(b)).map((e) => [e.id, e]));
  return [...byId.values()];
}

for (const target of await storeTargets()) {
  describe(`portcall shipments / timeline on ${target.name}`, { skip: target.skip ?? false }, () => {
    let installation: TestStore;
    const events = corpusEvents();
    const byShipment = new Map<string, VerifiedEvent[]>();
    for (const e of events) {
      const id = shipmentOf(e.payload);
      if (id !== null) byShipment.set(id, [...(byShipment.get(id) ?? []), e]);
    }

    before(async () => {
      installation = await target.create();
      const store = await installation.open();
      try {
        await store.migrate();
        await Promise.all(events.map((e) => store.insertIfAbsent(e, new Date())));
      } finally {
        await store.close();
      }
    });

    after(async () => {
      await installation?.destroy();
    });

    it("shipments --json → one row per shipment id in the events", async () => {
      const result = await runCli(["shipments", "--json"], installation.env);
      assert.equal(result.code, 0, result.stderr);
      const rows = jsonOf<ShipmentStatusRow[]>(result);
      assert.deepEqual(rows.map((r) => r.shipment_id).sort(), [...byShipment.keys()].sort());
      for (const row of rows) assert.equal(row.event_count, byShipment.get(row.shipment_id)?.length);
      // Most recently active first.
      const times = rows.map((r) => r.last_event_at ?? "");
      assert.deepEqual(times, [...times].sort().reverse());
    });

    it("shipments --status X → only status X; the three filters together → every shipment", async () => {
      const seen: string[] = [];
      const expected: Record<string, string> = {
        delivered: "8100001",
        exception: "8100002",
        "in-transit": "8100003",
      };
      for (const status of ["delivered", "in-transit", "exception"]) {
        const result = await runCli(["shipments", "--status", status, "--json"], installation.env);
        assert.equal(result.code, 0, result.stderr);
        const rows = jsonOf<ShipmentStatusRow[]>(result);
        assert.ok(
          rows.every((r) => r.status === status),
          status,
        );
        assert.ok(
          rows.some((r) => r.shipment_id === expected[status]),
          `${expected[status]} is ${status}`,
        );
        seen.push(...rows.map((r) => r.shipment_id));
      }
      assert.deepEqual(seen.sort(), [...byShipment.keys()].sort());
    });

    it("shipments --status bogus → exit non-zero, the allowed values named", async () => {
      const result = await runCli(["shipments", "--status", "lost"], installation.env);
      assert.notEqual(result.code, 0);
      assert.match(result.stderr, /delivered, in-transit, exception/);
    });

    it("shipments → a table for people: one line per shipment, why it is an exception", async () => {
      const result = await runCli(["shipments"], installation.env);
      assert.equal(result.code, 0, result.stderr);
      const lines = result.stdout.toString().trimEnd().split("\n");
      assert.match(lines[0] ?? "", /^SHIPMENT\s+NAME\s+MODE\s+STATUS\s+OPEN\s+LATEST MILESTONE/);
      assert.equal(lines.length, byShipment.size + 1);
      assert.match(
        result.stdout.toString(),
        /8100002\s+CLI shipment 8100002\s+ocean\s+exception\s+customs hold/,
      );
    });

    it("timeline <id> --json → the shipment's events in order of occurrence, with locations", async () => {
      // Each run is a process: the two busiest shipments here, 8100001 in detail below.
      const busiest = [...byShipment].sort((a, b) => b[1].length - a[1].length).slice(0, 2);
      for (const [shipmentId, own] of busiest) {
        const result = await runCli(["timeline", shipmentId, "--json"], installation.env);
        assert.equal(result.code, 0, result.stderr);
        const rows = jsonOf<MilestoneRow[]>(result);
        assert.deepEqual(rows.map((r) => r.event_id).sort(), own.map((e) => e.id).sort(), shipmentId);
        const times = rows.map((r) => r.occurred_at ?? r.created_at ?? "");
        assert.deepEqual(times, [...times].sort(), `${shipmentId} in time order`);
      }
      const mine = jsonOf<MilestoneRow[]>(await runCli(["timeline", "8100001", "--json"], installation.env));
      assert.deepEqual(
        mine.map((r) => [r.label, r.location_code, r.container_numbers]),
        [
          ["Shipment created", null, null],
          ["Departed", "KRPUS", "MSCU1111111,MSCU2222222"],
          ["Delivered in full", null, null],
        ],
      );
    });

    it("timeline <id> → a table with labels and places", async () => {
      const result = await runCli(["timeline", "8100003"], installation.env);
      assert.equal(result.code, 0, result.stderr);
      const out = result.stdout.toString();
      assert.match(out, /^OCCURRED AT\s+MILESTONE\s+CATEGORY\s+LOCATION/);
      assert.match(out, /Departed\s+transit\s+Busan, South Korea \(KRPUS\)/);
    });

    it("timeline <unknown id> → exit 2, says so", async () => {
      const result = await runCli(["timeline", "404"], installation.env);
      assert.equal(result.code, 2);
      assert.match(result.stderr, /no events stored for shipment 404/);
    });
  });
}

// The acceptance path: events that arrive as signed webhooks (`portcall send`, with the
// samples when there are any) are answered for at once.
const samplesPresent = existsSync(SAMPLES_DIR) && loadSamples().length > 0;
for (const target of await storeTargets()) {
  describe(`send, then shipments / timeline on ${target.name}`, { skip: target.skip ?? false }, () => {
    let installation: TestStore;
    let env: Record<string, string>;
    const sent: Buffer[] = [...OWN_EVENTS, ...(samplesPresent ? loadSamples().map((s) => s.bytes) : [])];

    before(async () => {
      installation = await target.create();
      const dir = tempDir();
      env = { ...installation.env, FLEXPORT_WEBHOOK_SECRET: TEST_SECRET, PORTCALL_DATA_DIR: `${dir}/data` };
      const files = OWN_EVENTS.map((bytes, i) => {
        const file = `${dir}/event-${i}.json`;
        writeFileSync(file, bytes);
        return file;
      });
      const server = await startServe(env);
      try {
        const own = await runCli(["send", server.webhookUrl, ...files], env);
        assert.equal(own.code, 0, own.stderr);
        if (samplesPresent) {
          const samples = await runCli(["send", "--sample", server.webhookUrl], env);
          assert.equal(samples.code, 0, samples.stderr);
        }
      } finally {
        await server.stop();
      }
    });

    after(async () => {
      await installation?.destroy();
    });

    it("every shipment sent → listed, its timeline holds each of its events", async () => {
      const expected = new Map<string, Set<string>>();
      for (const bytes of sent) {
        const body = bytes.toString("utf8");
        const id = shipmentOf(body);
        const eventId = String((JSON.parse(body) as { id: unknown }).id);
        if (id !== null) expected.set(id, new Set([...(expected.get(id) ?? []), eventId]));
      }
      const rows = jsonOf<ShipmentStatusRow[]>(await runCli(["shipments", "--json"], env));
      assert.deepEqual(rows.map((r) => r.shipment_id).sort(), [...expected.keys()].sort());
      for (const [id, eventIds] of expected) {
        const timeline = jsonOf<MilestoneRow[]>(await runCli(["timeline", id, "--json"], env));
        assert.deepEqual(timeline.map((m) => m.event_id).sort(), [...eventIds].sort(), `timeline of ${id}`);
      }
      const delivered = jsonOf<ShipmentStatusRow[]>(
        await runCli(["shipments", "--status", "delivered", "--json"], env),
      );
      assert.ok(delivered.some((r) => r.shipment_id === "8100001"));
    });
  });
}
