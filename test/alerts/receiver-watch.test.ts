import assert from "node:assert/strict";
import { test } from "node:test";
import { createReceiverWatch } from "../../src/alerts/receiver-watch.js";
import { openDestination } from "../../src/destinations/open-destination.js";
import { startRecordingReceiver } from "../helpers/recording-receiver.js";
import { verifiedById, webhookTo } from "./support.js";

const titles = (bodies: string[]) =>
  bodies.map((b) => (JSON.parse(b) as { data: { title: string } }).data.title);

async function settle(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
}

test("receiver watch → one alert per incident: unauthorized above the rate, store unavailable, silence", async () => {
  const receiver = await startRecordingReceiver();
  const destination = await openDestination(webhookTo("ops", receiver.url));
  let clock = 1_000_000;
  const watch = createReceiverWatch({
    destinations: [destination],
    unauthorizedPerMinute: 5,
    silenceMs: 50,
    now: () => clock,
  });
  try {
    for (let i = 0; i < 4; i++) watch.delivered("unauthorized");
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(receiver.requests.length, 0, "below the rate: nothing");
    for (let i = 0; i < 10; i++) watch.delivered("unauthorized");
    watch.delivered("store_unavailable");
    watch.delivered("store_unavailable");
    await settle(() => receiver.accepted.length >= 2);
    // The minute passes, deliveries succeed: both incidents clear, and a new one alerts again.
    clock += 61_000;
    watch.delivered("stored");
    watch.delivered("store_unavailable");
    await settle(() => receiver.accepted.length >= 3);
    watch.start();
    clock += 1000;
    await settle(() => receiver.accepted.length >= 4);
    await new Promise((r) => setTimeout(r, 150));
    const got = [...verifiedById(receiver.accepted).values()].map((v) => v.body);
    assert.deepEqual(titles(got), [
      "Webhook deliveries are being rejected as unauthorized",
      "portcall cannot store deliveries",
      "portcall cannot store deliveries",
      "No webhook from Flexport for a while",
    ]);
  } finally {
    watch.stop();
    await destination.close();
    await receiver.close();
  }
});
