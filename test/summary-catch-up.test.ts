import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { verifiedEvent } from "../src/core/verified-event.js";
import type { EventStore } from "../src/stores/store.js";
import { makeEvent } from "./helpers/fixtures.js";
import { storeTargets, type TestStore } from "./helpers/stores.js";

// The dashboard's background catch-up (reports.startCatchUp): on SQLite the store's writer
// thread folds between batches, on PostgreSQL a timer on the calling thread does.
for (const target of await storeTargets()) {
  describe(`summary catch-up on ${target.name}`, { skip: target.skip }, () => {
    let installation: TestStore;
    let store: EventStore;
    before(async () => {
      installation = await target.create();
      store = await installation.open();
      await store.migrate();
    });
    after(async () => {
      await store?.close();
      await installation?.destroy();
    });

    const store1 = async (id: number, shipmentId: number) => {
      const made = verifiedEvent(Buffer.from(makeEvent({ id, shipmentId })), "sha256", "webhook");
      assert.ok(made.ok);
      await store.insertIfAbsent(made.event, new Date());
    };
    const summarised = async (shipmentId: number, withinMs: number) => {
      const deadline = Date.now() + withinMs;
      for (;;) {
        if ((await store.reports().shipment(String(shipmentId))) !== undefined) return true;
        if (Date.now() > deadline) return false;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };
    const options = { everyMs: 100, sliceMs: 50, onError: (error: unknown) => assert.fail(String(error)) };

    it("no catch-up started → stored events wait for a page's refresh", async () => {
      await store1(9_100_001, 2_910_001);
      assert.equal(await summarised(2_910_001, 1500), false);
      await store.reports().refresh();
      assert.equal(await summarised(2_910_001, 0), true);
    });

    it("two catch-ups, one stopped → the other still folds; both stopped → nothing folds", async () => {
      const first = store.reports().startCatchUp(options);
      const second = store.reports().startCatchUp(options);
      await first.stop();
      await store1(9_100_002, 2_910_002);
      assert.equal(await summarised(2_910_002, 10_000), true, "folded by the catch-up still running");
      await second.stop();
      await store1(9_100_003, 2_910_003);
      assert.equal(await summarised(2_910_003, 1500), false, "no catch-up left");
      assert.equal((await store.reports().pendingSummaries()).events, 1);
    });
  });
}
