import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { logisticsBodyKey } from "../src/core/logistics-envelope.js";
import { LOGISTICS_SAMPLES_DIR, loadSamples } from "../src/samples/samples.js";
import type { SourcesSection } from "../src/sources/sources-config.js";
import type { EventStore } from "../src/stores/store.js";
import { deliver, startTestServer, TEST_SECRET, type TestServer } from "./helpers/http.js";
import { storeTargets, type TestStore } from "./helpers/stores.js";

const EU_SECRET = "eu-secret-4f1c9a";
const US_SECRET = "us-secret-7b2d3e";
const TOKEN = "logistics-token-9c8b7a";
const PASSWORD = "basic pass:word 1";
export const SOURCES: SourcesSection = {
  eu: { api: "freight", secrets: [EU_SECRET] },
  us: { api: "freight", secrets: [US_SECRET] },
  fulfilment: { api: "logistics", auth: "token", token_header: "X-Flexport-Token", token: TOKEN },
  warehouse: { api: "logistics", auth: "basic", username: "flexport", password: PASSWORD },
};
const basic = (user: string, password: string) => ({
  authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`,
});
const tokenHeader = (token = TOKEN) => ({ "x-flexport-token": token });

const freightEvent = (id: number) =>
  JSON.stringify({ _object: "/event", id, type: "/shipment#created", occurred_at: "2024-10-01T00:00:00Z" });
const logisticsEvent = (eventId: string, type = "Order.Shipped") =>
  JSON.stringify({
    logisticsAccountId: "LA-1",
    logisticsEventId: eventId,
    logisticsEventType: type,
    logisticsEventTime: "2024-10-07T17:48:52.000Z",
    orderId: "ORD-1",
  });
const samples = loadSamples(LOGISTICS_SAMPLES_DIR);
const returnUpdated = samples.find((s) => s.name.includes("return-updated"));

for (const target of await storeTargets()) {
  describe(`sources on ${target.name}`, { skip: target.skip ?? false }, () => {
    let installation: TestStore;
    let store: EventStore;
    let server: TestServer;
    const logLines: string[] = [];
    const url = (name: string) => `${server.webhookUrl}/${name}`;

    before(async () => {
      installation = await target.create();
      store = await installation.open();
      await store.migrate();
      server = await startTestServer(store, { sources: SOURCES, logLines });
    });
    after(async () => {
      await server?.close();
      await store?.close();
      await installation?.destroy();
    });

    it("two freight sources: each secret authenticates only its own source", async () => {
      const body = freightEvent(8_200_001);
      assert.equal((await deliver(url("eu"), body, { secret: US_SECRET })).status, 401);
      assert.equal((await deliver(url("eu"), body, { secret: TEST_SECRET })).status, 401);
      assert.equal((await deliver(server.webhookUrl, body, { secret: EU_SECRET })).status, 401);
      assert.equal(await store.getEvent("8200001"), undefined, "a refused delivery stores nothing");

      const stored = await deliver(url("eu"), body, { secret: EU_SECRET });
      assert.deepEqual([stored.status, stored.json], [200, { status: "stored", id: "8200001" }]);
      const row = await store.getEvent("8200001");
      assert.equal(row?.source_name, "eu");
      assert.equal(row?.api, "freight");
      assert.equal(row?.payload, body);
    });

    it("the default source stays at /webhooks/flexport with FLEXPORT_WEBHOOK_SECRET", async () => {
      const body = freightEvent(8_200_002);
      assert.equal((await deliver(server.webhookUrl, body)).status, 200);
      assert.equal((await store.getEvent("8200002"))?.source_name, "default");
    });

    it("the same freight event through a second source → a duplicate of the first (ids are per API)", async () => {
      const body = freightEvent(8_200_003);
      assert.equal((await deliver(url("eu"), body, { secret: EU_SECRET })).json.status, "stored");
      assert.equal((await deliver(url("us"), body, { secret: US_SECRET })).json.status, "duplicate");
      const row = await store.getEvent("8200003");
      assert.equal(row?.source_name, "eu");
      assert.equal(row?.deliveries, 2);
    });

    it("a token source over POST and PUT → stored once, redelivery is a duplicate", async () => {
      const body = logisticsEvent("evt-token-1");
      const first = await deliver(url("fulfilment"), body, { sign: false, headers: tokenHeader() });
      assert.deepEqual([first.status, first.json], [200, { status: "stored", id: "logistics:evt-token-1" }]);
      const again = await deliver(url("fulfilment"), body, {
        sign: false,
        method: "PUT",
        headers: tokenHeader(),
      });
      assert.deepEqual([again.status, again.json.status], [200, "duplicate"]);
      const put = logisticsEvent("evt-token-2", "Order.Cancelled");
      assert.equal(
        (await deliver(url("fulfilment"), put, { sign: false, method: "PUT", headers: tokenHeader() })).json
          .status,
        "stored",
      );
      const row = await store.getEvent("logistics:evt-token-1");
      assert.equal(row?.type, "Order.Shipped");
      assert.equal(row?.occurred_at?.slice(0, 19), "2024-10-07T17:48:52");
      assert.equal(row?.source_name, "fulfilment");
      assert.equal(row?.api, "logistics");
      assert.equal(row?.deliveries, 2);
      assert.equal(row?.payload, body);
    });

    it("a basic-auth source over POST and PUT; wrong password or a token → 401, nothing stored", async () => {
      const body = logisticsEvent("evt-basic-1", "Inventory.Adjusted");
      for (const headers of [basic("flexport", "wrong"), basic("other", PASSWORD), tokenHeader(), {}]) {
        const refused = await deliver(url("warehouse"), body, { sign: false, headers });
        assert.deepEqual([refused.status, refused.json.error], [401, "unauthorized"]);
      }
      assert.equal(await store.getEvent("logistics:evt-basic-1"), undefined);
      const headers = basic("flexport", PASSWORD);
      assert.equal(
        (await deliver(url("warehouse"), body, { sign: false, method: "PUT", headers })).json.status,
        "stored",
      );
      assert.equal(
        (await deliver(url("warehouse"), body, { sign: false, headers })).json.status,
        "duplicate",
      );
      assert.equal((await store.getEvent("logistics:evt-basic-1"))?.source_name, "warehouse");
    });

    it("a token of one logistics source never authenticates another, nor a freight source", async () => {
      const body = logisticsEvent("evt-cross-1");
      assert.equal(
        (await deliver(url("warehouse"), body, { sign: false, headers: tokenHeader() })).status,
        401,
      );
      assert.equal((await deliver(url("eu"), body, { sign: false, headers: tokenHeader() })).status, 401);
      assert.equal(await store.getEvent("logistics:evt-cross-1"), undefined);
    });

    it("a body without logisticsEventId → keyed by its hash; redelivery is a duplicate", async () => {
      assert.ok(returnUpdated, "samples/logistics holds a Return.Updated body");
      const bytes = returnUpdated.bytes;
      const first = await deliver(url("fulfilment"), bytes, { sign: false, headers: tokenHeader() });
      assert.equal(first.status, 200);
      assert.match(String(first.json.id), /^logistics:sha256:[0-9a-f]{64}$/);
      const again = await deliver(url("fulfilment"), bytes, { sign: false, headers: tokenHeader() });
      assert.equal(again.json.status, "duplicate");
      const row = await store.getEvent(String(first.json.id));
      assert.equal(row?.type, "Return.Updated");
      assert.equal(row?.id, logisticsBodyKey(row?.payload_sha256 ?? ""));
      assert.equal(Buffer.from(row?.payload ?? "").equals(bytes), true, "byte-exact");
    });

    it("an authenticated logistics body that is not an event → 400, quarantined with its source", async () => {
      const body = '["not", "an", "event"]';
      const answer = await deliver(url("fulfilment"), body, { sign: false, headers: tokenHeader() });
      assert.deepEqual([answer.status, answer.json.error], [400, "invalid_event"]);
      const rejects = await store.listRejects({ limit: 50 });
      const reject = rejects.find((r) => r.detail.includes("Logistics API event"));
      assert.equal(reject?.source_name, "fulfilment");
    });

    it("an unknown source → 404; PUT to a freight source → 405 naming POST", async () => {
      const body = freightEvent(8_200_009);
      assert.equal((await deliver(url("nowhere"), body)).status, 404);
      const put = await deliver(url("eu"), body, { secret: EU_SECRET, method: "PUT" });
      assert.equal(put.status, 405);
      assert.equal(put.headers.get("allow"), "POST");
    });

    it("log lines name the source and never hold a token, password or secret", () => {
      const text = logLines.join("\n");
      assert.match(text, /"source":"fulfilment"/);
      for (const secret of [
        TOKEN,
        PASSWORD,
        EU_SECRET,
        US_SECRET,
        Buffer.from(`flexport:${PASSWORD}`).toString("base64"),
      ]) {
        assert.equal(text.includes(secret), false, "a credential reached the log");
      }
    });
  });
}
