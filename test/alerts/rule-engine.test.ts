import assert from "node:assert/strict";
import { test } from "node:test";
import { builtinRules } from "../../src/alerts/alerts-config.js";
import { type EventFacts, eventFacts } from "../../src/alerts/event-facts.js";
import {
  type AlertDecision,
  anyRuleCouldMatch,
  evaluateRules,
  type Rule,
} from "../../src/alerts/rule-engine.js";
import { describeEventType } from "../../src/milestones/catalogue.js";
import { loadSamples } from "../../src/samples/samples.js";
import { conformanceCorpus, makeEvent } from "../helpers/fixtures.js";

interface Fired {
  readonly file: string;
  readonly decision: AlertDecision;
}

/** Runs events in order through the built-in rules, with the ETA history a store would keep; one per (rule, subject). */
function fireAll(
  files: readonly { name: string; payload: string; source?: string }[],
  rules: Rule[] = builtinRules(["d"]),
): Fired[] {
  const etas = new Map<string, string>();
  const seen = new Set<string>();
  const fired: Fired[] = [];
  for (const file of files) {
    const parsed = JSON.parse(file.payload) as { id: number | string; type: string };
    const facts = eventFacts({
      id: String(parsed.id),
      type: parsed.type,
      payload: file.payload,
      source: file.source,
    });
    const previous = facts.shipmentId === null ? null : (etas.get(facts.shipmentId) ?? null);
    if (facts.shipmentId !== null && facts.estimatedArrival !== null)
      etas.set(facts.shipmentId, facts.estimatedArrival);
    for (const decision of evaluateRules(rules, facts, { previousEstimatedArrival: previous })) {
      const key = `${decision.rule}\n${decision.subject}`;
      if (seen.has(key)) continue;
      seen.add(key);
      fired.push({ file: file.name, decision });
    }
  }
  return fired;
}

const byRule = (fired: Fired[], rule: string) =>
  fired.filter((f) => f.decision.rule === rule).map((f) => f.decision.subject);
const ROUTINE = new Set(["booking", "transit", "delivery", "billing", "documents", "other"]);

function assertNoRoutineAlerts(fired: Fired[], facts: Map<string, EventFacts>): void {
  for (const { decision } of fired) {
    if (decision.rule === "eta-slips" || decision.rule === "free-time") continue;
    const f = facts.get(decision.subject);
    assert.ok(f !== undefined && !ROUTINE.has(f.category), `${decision.rule} fired on routine ${f?.type}`);
  }
}

test("built-in rules on the conformance corpus → each fires once on exactly the events that match it", (t) => {
  const corpus = conformanceCorpus();
  if (corpus === undefined) {
    t.skip("conformance corpus not present; the samples test covers the same rules");
    return;
  }
  const files = corpus.entries.map((e) => ({ name: e.file, payload: corpus.read(e.file).toString("utf8") }));
  const fired = fireAll(files);
  const holds = corpus.entries
    .filter((e) => describeEventType(e.type).effect === "customs_hold")
    .map((e) => e.id_str);
  const exceptions = corpus.entries
    .filter((e) => describeEventType(e.type).category === "exception")
    .map((e) => e.id_str);
  assert.ok(holds.length > 0 && exceptions.length > 0);
  assert.deepEqual(byRule(fired, "customs-holds"), holds);
  assert.deepEqual(byRule(fired, "exceptions"), exceptions);
  // The corpus's ETA changes: +58 h (010), +5 h (012), exactly +24 h (034, not over), +40 h (046).
  assert.deepEqual(byRule(fired, "eta-slips"), ["4854340", "5031845"]);
  // Two containers reach their last free day within 72 h while still at the terminal; the
  // first is seen again two events later (024) and is not alerted twice.
  assert.deepEqual(byRule(fired, "free-time"), [
    "container:CMAU2376748:2024-02-19T00:00:00.000Z",
    "container:YMMU8466923:2024-03-18T00:00:00.000Z",
  ]);
  const facts = new Map(
    files.map((f) => {
      const p = JSON.parse(f.payload) as { id: number; type: string };
      return [String(p.id), eventFacts({ id: String(p.id), type: p.type, payload: f.payload })] as const;
    }),
  );
  assertNoRoutineAlerts(fired, facts);
});

test("built-in rules on the repo's samples → a hold, an exception and an ETA slip, nothing routine", () => {
  const files = loadSamples().map((s) => ({ name: s.name, payload: s.bytes.toString("utf8") }));
  const fired = fireAll(files);
  assert.deepEqual(
    fired.map((f) => [f.decision.rule, f.file]),
    [
      ["customs-holds", "14-shipment-customs-entry-release-status-document-required.json"],
      ["exceptions", "17-shipment-weather-delay.json"],
      ["eta-slips", "18-shipment-leg-updated-estimated-time-of-arrival.json"],
    ],
  );
  assert.match(fired[2]?.decision.details[0] ?? "", /4 days later/);
});

function withContainer(fields: {
  id: number;
  type: string;
  at: string;
  lfd: string;
  delivered?: string;
}): string {
  const event = JSON.parse(makeEvent({ id: fields.id, type: fields.type, occurred_at: fields.at })) as {
    data: { containers: unknown[] };
  };
  event.data.containers = [
    {
      _object: "/ocean/shipment_container",
      container_number: "TEST1234567",
      last_free_day_date: fields.lfd,
      actual_delivery_date: fields.delivered ?? null,
      empty_returned_date: null,
    },
  ];
  return JSON.stringify(event);
}

test("free time → warns once inside the window, says expired after it, and never for a delivered container", () => {
  const lfd = "2024-03-10T00:00:00.000Z";
  const early = withContainer({ id: 1, type: "/shipment_leg#arrived", at: "2024-03-01T00:00:00.000Z", lfd });
  const inside = withContainer({
    id: 2,
    type: "/ocean/shipment_container_leg#available_for_pickup",
    at: "2024-03-08T00:00:00.000Z",
    lfd,
  });
  const again = withContainer({ id: 3, type: "/shipment_leg#departed", at: "2024-03-09T00:00:00.000Z", lfd });
  assert.deepEqual(
    fireAll([early, inside, again].map((payload, i) => ({ name: String(i), payload }))).map((f) => f.file),
    ["1"],
  );
  const expired = withContainer({
    id: 4,
    type: "/ocean/shipment_container#free_time_expired",
    at: "2024-03-11T00:00:00.000Z",
    lfd,
  });
  const fired = fireAll([{ name: "x", payload: expired }]);
  assert.deepEqual(
    fired.map((f) => f.decision.rule),
    ["free-time"],
    "the exception rule leaves free time to its own rule",
  );
  assert.match(fired[0]?.decision.details[0] ?? "", /expired/);
  const delivered = withContainer({
    id: 5,
    type: "/shipment_leg#delivered",
    at: "2024-03-09T00:00:00.000Z",
    lfd,
    delivered: "2024-03-09T00:00:00.000Z",
  });
  assert.deepEqual(fireAll([{ name: "d", payload: delivered }]), []);
});

test("history: a backfilled or replayed hold → no alert unless the rule asks for history", () => {
  const hold = makeEvent({ id: 9, type: "/shipment#customs_undergoing_x_ray_exam" });
  assert.deepEqual(fireAll([{ name: "b", payload: hold, source: "backfill" }]), []);
  assert.deepEqual(fireAll([{ name: "r", payload: hold, source: "replay" }]), []);
  const rules: Rule[] = [
    { name: "all-holds", send: "alert", to: ["d"], when: { condition: "customs_hold", history: true } },
  ];
  assert.equal(fireAll([{ name: "b", payload: hold, source: "backfill" }], rules).length, 1);
});

test("field matching → types (with a prefix *), categories and shipment fields all have to match", () => {
  const arrived = makeEvent({ id: 10, type: "/shipment_leg#arrived", shipmentId: 42 });
  const rule = (when: Rule["when"]): Rule[] => [{ name: "r", send: "event", to: ["d"], when }];
  const fires = (when: Rule["when"]) => fireAll([{ name: "a", payload: arrived }], rule(when)).length === 1;
  assert.ok(fires({ types: ["/shipment_leg#*"] }));
  assert.ok(!fires({ types: ["/shipment#*"] }));
  assert.ok(fires({ categories: ["transit"], shipment: { id: ["42"] } }));
  assert.ok(!fires({ categories: ["transit"], shipment: { id: ["43"] } }));
  assert.ok(fires({ shipment: { name: ["Test shipment"] } }));
  assert.ok(!fires({ categories: ["customs"] }));
});

test("anyRuleCouldMatch → false only when type, source or history rule out every rule, never when evaluateRules could fire", () => {
  const rule = (when: Rule["when"]): Rule => ({ name: "r", send: "event", to: ["d"], when });
  const event = { type: "/shipment_leg#arrived", source: "webhook", sourceName: "default" };
  assert.ok(anyRuleCouldMatch([rule({ types: ["/shipment_leg#*"] })], event));
  assert.ok(!anyRuleCouldMatch([rule({ types: ["/shipment#*"] })], event));
  assert.ok(!anyRuleCouldMatch([rule({ sources: ["eu"] })], event));
  assert.ok(!anyRuleCouldMatch([rule({})], { ...event, source: "backfill" }));
  assert.ok(anyRuleCouldMatch([rule({ history: true })], { ...event, source: "backfill" }));
  // A condition or a category needs the payload: such a rule could always match.
  assert.ok(anyRuleCouldMatch([rule({ condition: "customs_hold" })], event));
  assert.ok(anyRuleCouldMatch([rule({ types: ["/shipment#*"] }), rule({ categories: ["transit"] })], event));
  // Never false where the full evaluation fires: every sample through the built-in rules.
  for (const sample of loadSamples()) {
    const payload = sample.bytes.toString("utf8");
    const parsed = JSON.parse(payload) as { id: number | string; type: string };
    const facts = eventFacts({ id: String(parsed.id), type: parsed.type, payload });
    for (const r of builtinRules(["d"])) {
      if (evaluateRules([r], facts, { previousEstimatedArrival: null }).length > 0) {
        assert.ok(anyRuleCouldMatch([r], { ...event, type: parsed.type }), `${sample.name}: ${r.name}`);
      }
    }
  }
});
