import assert from "node:assert/strict";
import { test } from "node:test";
import { resolveAlertsConfig } from "../../src/alerts/alerts-config.js";
import { ConfigError } from "../../src/config/config.js";
import { parseConfigFile } from "../../src/config/config-file.js";
import { configFileSchema } from "../../src/config/config-file-schema.js";

const problemsOf = (run: () => unknown): string[] => {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return [...error.problems];
  }
  assert.fail("expected a ConfigError");
};

test("PORTCALL_SLACK_WEBHOOK_URL alone → a slack destination with the four built-in rules", () => {
  const config = resolveAlertsConfig(
    {},
    { PORTCALL_SLACK_WEBHOOK_URL: "https://hooks.slack.test/services/T/B/x" },
  );
  assert.deepEqual(
    config.destinations.map((d) => [d.name, d.type]),
    [["slack", "slack"]],
  );
  assert.deepEqual(
    config.rules.map((r) => [r.name, r.when.condition, r.to]),
    [
      ["customs-holds", "customs_hold", ["slack"]],
      ["exceptions", "exception", ["slack"]],
      ["eta-slips", "eta_slip", ["slack"]],
      ["free-time", "free_time", ["slack"]],
    ],
  );
});

test("no destinations and no Slack variable → nothing configured", () => {
  const config = resolveAlertsConfig({}, {});
  assert.equal(config.destinations.length, 0);
  assert.equal(config.rules.length, 0);
});

const YAML = `destinations:
  erp:
    type: webhook
    url: https://erp.example.test/hooks
    secretEnv: ERP_SECRET
  mail:
    type: email
    host: smtp.example.test
    user: alerts
    passwordEnv: SMTP_PASSWORD
    from: portcall <alerts@example.test>
    to: ops@example.test
rules:
  - name: forward-arrivals
    when: { types: /shipment_leg#arrived, shipment: { transportation_mode: ocean } }
    send: event
    to: erp
  - name: holds
    when: { condition: customs_hold }
    to: [mail, erp]
`;

test("a YAML file with destinations and rules → resolved, secrets taken from the variables named", () => {
  const file = parseConfigFile(YAML, "portcall.yaml", configFileSchema);
  const config = resolveAlertsConfig(file, {
    ERP_SECRET: `whsec_${Buffer.alloc(32, 1).toString("base64")}`,
    SMTP_PASSWORD: "pw",
  });
  assert.deepEqual(
    config.destinations.map((d) => d.name),
    ["erp", "mail"],
  );
  assert.deepEqual(config.rules[0]?.when.types, ["/shipment_leg#arrived"]);
  assert.deepEqual(config.rules[0]?.when.shipment, { transportation_mode: ["ocean"] });
  assert.deepEqual(config.rules[1]?.to, ["mail", "erp"]);
});

test("a bad rule → the message names file, line, column and field", () => {
  const bad = YAML.replace("condition: customs_hold", "condition: customs_holds").replace(
    "send: event",
    "send: raw",
  );
  const problems = problemsOf(() => parseConfigFile(bad, "portcall.yaml", configFileSchema));
  assert.ok(
    problems.some((p) => /^portcall\.yaml:16:11 rules\.0\.send: /.test(p)),
    problems.join("\n"),
  );
  assert.ok(
    problems.some((p) => /^portcall\.yaml:19:\d+ rules\.1\.when\.condition: /.test(p)),
    problems.join("\n"),
  );
});

test("a missing secret variable, an unknown destination, a repeated rule name → each named", () => {
  const file = parseConfigFile(`${YAML}  - name: holds\n    to: pager\n`, "portcall.yaml", configFileSchema);
  const problems = problemsOf(() => resolveAlertsConfig(file, { SMTP_PASSWORD: "pw" }));
  assert.ok(
    problems.includes("destinations.erp.secretEnv: environment variable ERP_SECRET is not set"),
    problems.join("\n"),
  );
  assert.ok(problems.includes("rules.2.name: holds is used by an earlier rule"), problems.join("\n"));
  assert.ok(problems.includes("rules.2.to: no destination named pager"), problems.join("\n"));
  assert.ok(!problems.join("\n").includes("pw"), "no secret value in a message");
});
