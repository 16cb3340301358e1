import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { ConfigError, loadConfig } from "../config/config.js";
import { configuredAlerts } from "./configured-alerts.js";

function problemsOf(yaml: string, env: Record<string, string> = {}): readonly string[] {
  const file = join(mkdtempSync(join(tmpdir(), "portcall-alerts-config-")), "portcall.yaml");
  writeFileSync(file, yaml);
  const fullEnv = { PORTCALL_CONFIG: file, ...env };
  try {
    configuredAlerts(loadConfig(fullEnv), fullEnv);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${error}`);
    return error.problems.map((p) => p.replace(file, "portcall.yaml"));
  }
  assert.fail("expected a ConfigError");
}

const SLACK = "destinations:\n  ops:\n    type: slack\n    urlEnv: OPS_URL\n";

test("a rule sending to an unknown destination → file, line, column and field", () => {
  const problems = problemsOf(`${SLACK}rules:\n  - name: r\n    to: nowhere\n`, {
    OPS_URL: "http://127.0.0.1:1/x",
  });
  assert.deepEqual(problems, ["portcall.yaml:7:9 rules.0.to: no destination named nowhere"]);
});

test("an unset urlEnv variable → located at the field; a bad environment variable stays as it is", () => {
  const problems = problemsOf(`${SLACK}rules:\n  - name: r\n    to: ops\n`, {
    PORTCALL_SLACK_WEBHOOK_URL: "bad",
  });
  assert.deepEqual(problems, [
    "portcall.yaml:4:13 destinations.ops.urlEnv: environment variable OPS_URL is not set",
    "PORTCALL_SLACK_WEBHOOK_URL: must be an http(s) URL",
  ]);
});
