import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { z } from "zod";
import { ConfigError, integer, parseEnv } from "./env.js";

const schema = z.object({
  PORT: integer(0, 65535).default(8080),
  FLEXPORT_CLIENT_SECRET: z.string().min(40).optional(),
  FLEXPORT_API_TOKEN: z.string().min(40).optional(),
  DATABASE_URL: z.string().startsWith("sqlite:").optional(),
});

function problems(env: Record<string, string>): readonly string[] {
  try {
    parseEnv(schema, env);
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.problems;
  }
  assert.fail("expected a ConfigError");
}

describe("parseEnv", () => {
  it("valid or empty variables → parsed, defaults applied", () => {
    assert.deepEqual(parseEnv(schema, { PORT: " 9090 ", DATABASE_URL: "" }), { PORT: 9090 });
  });

  it("a bad number → its name, the limit and the value", () => {
    assert.deepEqual(problems({ PORT: "70000" }), ['PORT: must be at most 65535 (got "70000")']);
    assert.deepEqual(problems({ PORT: "8o80" }), ['PORT: must be a whole number (got "8o80")']);
  });

  it("a bad secret or token → its name only, never its value", () => {
    const found = problems({ FLEXPORT_CLIENT_SECRET: "short-secret-value", FLEXPORT_API_TOKEN: "tok-123" });
    assert.equal(found.length, 2);
    assert.ok(found.every((p) => !p.includes("short-secret-value") && !p.includes("tok-123")));
    assert.match(found.join("\n"), /FLEXPORT_CLIENT_SECRET: /);
  });

  it("a bad URL with a password → shown with the password replaced", () => {
    const [problem] = problems({ DATABASE_URL: "postgres://app:hunter2@db/portcall" });
    assert.ok(problem?.includes('(got "postgres://app:***@db/portcall")'), problem);
    assert.ok(!problem?.includes("hunter2"));
  });
});
