import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { z } from "zod";
import { ConfigError } from "./config.js";
import { loadConfigFile, parseConfigFile } from "./config-file.js";

const schema = z
  .object({
    sources: z.record(
      z.string(),
      z.object({ api: z.enum(["freight", "logistics"]), secrets: z.array(z.string()) }),
    ),
  })
  .strict();

function problems(run: () => unknown): readonly string[] {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${error}`);
    return error.problems;
  }
  assert.fail("expected a ConfigError");
}

test("parseConfigFile: valid YAML → the typed value", () => {
  const text = "sources:\n  eu:\n    api: freight\n    secrets: [a, b]\n";
  assert.deepEqual(parseConfigFile(text, "portcall.yaml", schema), {
    sources: { eu: { api: "freight", secrets: ["a", "b"] } },
  });
});

test("parseConfigFile: JSON is read by the same parser", () => {
  const text = JSON.stringify({ sources: { eu: { api: "logistics", secrets: [] } } });
  assert.equal(parseConfigFile(text, "portcall.json", schema).sources.eu?.api, "logistics");
});

test("parseConfigFile: a bad field → file, line, column and the field's path", () => {
  const text = "sources:\n  eu:\n    api: frieght\n    secrets: [a]\n";
  const [message, ...rest] = problems(() => parseConfigFile(text, "portcall.yaml", schema));
  assert.equal(rest.length, 0);
  assert.match(message ?? "", /^portcall\.yaml:3:10 sources\.eu\.api: /);
});

test("parseConfigFile: a missing field → reported at the mapping that should hold it", () => {
  const text = "sources:\n  eu:\n    api: freight\n";
  const [message] = problems(() => parseConfigFile(text, "portcall.yaml", schema));
  assert.match(message ?? "", /^portcall\.yaml:3:5 sources\.eu\.secrets: /);
});

test("parseConfigFile: an unknown top-level key is refused, not ignored", () => {
  const text = "sources: {}\nsoruces: {}\n";
  const [message] = problems(() => parseConfigFile(text, "portcall.yaml", schema));
  assert.match(message ?? "", /soruces/);
});

test("parseConfigFile: a YAML syntax error and a repeated key → line and column", () => {
  assert.match(
    problems(() => parseConfigFile("sources:\n  eu: [a\n", "c.yaml", schema))[0] ?? "",
    /^c\.yaml:\d+:\d+: /,
  );
  const repeated = "sources:\n  eu:\n    api: freight\n    api: logistics\n    secrets: []\n";
  assert.match(
    problems(() => parseConfigFile(repeated, "c.yaml", schema))[0] ?? "",
    /^c\.yaml:4:5: .*unique/i,
  );
});

test("loadConfigFile: an unreadable file names PORTCALL_CONFIG and the path", () => {
  const dir = mkdtempSync(join(tmpdir(), "portcall-config-"));
  const [message] = problems(() => loadConfigFile(join(dir, "missing.yaml"), schema));
  assert.match(message ?? "", /^PORTCALL_CONFIG: cannot read .*missing\.yaml \(ENOENT\)$/);
  const file = join(dir, "ok.yaml");
  writeFileSync(file, "sources: {}\n");
  assert.deepEqual(loadConfigFile(file, schema), { sources: {} });
});
