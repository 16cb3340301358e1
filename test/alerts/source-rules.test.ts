import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { alertMessage, messageLines } from "../../src/alerts/alert-message.js";
import { resolveAlertsConfig } from "../../src/alerts/alerts-config.js";
import { eventFacts } from "../../src/alerts/event-facts.js";
import { evaluateRules, type Rule } from "../../src/alerts/rule-engine.js";
import { slackPayload } from "../../src/alerts/slack-blocks.js";
import { ConfigError } from "../../src/config/env.js";
import { verifiedEvent } from "../../src/core/verified-event.js";
import type { EventStore } from "../../src/stores/store.js";
import { makeEvent } from "../helpers/fixtures.js";
import { type RecordingReceiver, startRecordingReceiver } from "../helpers/recording-receiver.js";
import { storeTargets, type TestStore } from "../helpers/stores.js";
import { alertingRig, verifiedById, webhookTo } from "./support.js";

const euOnly: Rule = { name: "eu-holds", send: "alert", to: ["d"], when: { sources: ["eu"] } };

function factsFrom(id: number, sourceName: string | undefined) {
  const payload = makeEvent({ id, type: "/shipment#customs_agriculture_hold" });
  return eventFacts({ id: String(id), type: "/shipment#customs_agriculture_hold", payload, sourceName });
}

test("a rule limited to one source fires for its events, not another source's nor the default's", () => {
  assert.equal(evaluateRules([euOnly], factsFrom(1, "eu"), { previousEstimatedArrival: null }).length, 1);
  assert.equal(evaluateRules([euOnly], factsFrom(2, "us"), { previousEstimatedArrival: null }).length, 0);
  assert.equal(
    evaluateRules([euOnly], factsFrom(3, undefined), { previousEstimatedArrival: null }).length,
    0,
  );
  const both: Rule = { ...euOnly, when: { sources: ["eu", "default"] } };
  assert.equal(evaluateRules([both], factsFrom(4, undefined), { previousEstimatedArrival: null }).length, 1);
});

test("the message names the source only when it is not the default", () => {
  const [decision] = evaluateRules([euOnly], factsFrom(5, "eu"), { previousEstimatedArrival: null });
  assert.ok(decision);
  const eu = alertMessage("a1", decision, factsFrom(5, "eu"), undefined);
  assert.ok(messageLines(eu).includes("Source: eu"));
  assert.match(JSON.stringify(slackPayload(eu).blocks), /\*Source\*\\neu/);
  const plain = alertMessage("a2", { ...decision, rule: "any" }, factsFrom(6, "default"), undefined);
  assert.ok(!messageLines(plain).some((l) => l.startsWith("Source:")));
  assert.doesNotMatch(JSON.stringify(slackPayload(plain)), /Source/);
});

test("when.source: a name or a list; unknown names are an error naming the field when sources are configured", () => {
  const destinations = {
    d: { type: "webhook" as const, url: "https://x.example/h", secret: "whsec_a", maxAttempts: 12 },
  };
  const euRule = { name: "r", send: "alert" as const, to: "d", when: { source: "eu" } };
  const rules = [euRule, { name: "s", send: "alert" as const, to: "d", when: { source: ["default", "eu"] } }];
  const config = resolveAlertsConfig({ destinations, rules, sources: { eu: {} } }, {});
  assert.deepEqual(
    config.rules.map((r) => r.when.sources),
    [["eu"], ["default", "eu"]],
  );
  // Without a sources section there is nothing to check the name against.
  assert.equal(resolveAlertsConfig({ destinations, rules }, {}).rules.length, 2);
  assert.throws(
    () =>
      resolveAlertsConfig(
        {
          destinations,
          rules: [{ ...euRule, when: { source: ["eu", "uss"] } }],
          sources: { eu: {}, us: {} },
        },
        {},
      ),
    (error: unknown) =>
      error instanceof ConfigError &&
      /rules\.0\.when\.source: no source named uss \(sources: default, eu, us\)/.test(error.message),
  );
});

const sqlite = (await storeTargets()).find((t) => t.name === "sqlite");
if (sqlite === undefined) throw new Error("no SQLite store target");
let installation: TestStore;
let store: EventStore;
let receiver: RecordingReceiver;
before(async () => {
  installation = await sqlite.create();
  store = await installation.open();
  await store.migrate();
  receiver = await startRecordingReceiver();
});
after(async () => {
  await receiver?.close();
  await store?.close();
  await installation?.destroy();
});

test("on SQLite: a rule limited to eu alerts on eu's committed events only, and the alert names eu", async () => {
  const rig = await alertingRig(
    store,
    [webhookTo("d", `${receiver.url}/src`)],
    [{ ...euOnly, when: { sources: ["eu"], condition: "customs_hold" } }],
  );
  try {
    const record = async (id: number, sourceName: string) => {
      const body = Buffer.from(
        makeEvent({ id, type: "/shipment#customs_agriculture_hold", shipmentId: 700 + id }),
      );
      const built = verifiedEvent(body, "sha256", "webhook", { sourceName, api: "freight" });
      if (!built.ok) throw new Error(built.message);
      assert.equal(await store.record(built.event, new Date()), "stored");
    };
    await record(11, "eu");
    await record(12, "us");
    await record(13, "default");
    await rig.drain();
    const sent = [...verifiedById(receiver.accepted.filter((r) => r.path === "/src")).values()].map(
      (v) => (JSON.parse(v.body) as { data: { eventId: string; source?: string } }).data,
    );
    assert.deepEqual(
      sent.map((m) => [m.eventId, m.source]),
      [["11", "eu"]],
    );
  } finally {
    await rig.close();
  }
});
