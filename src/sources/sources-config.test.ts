import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parseConfigFile } from "../config/config-file.js";
import { configFileSchema } from "../config/config-file-schema.js";
import { ConfigError } from "../config/env.js";
import { createSourceRegistry } from "./source-registry.js";

const ISSUE_SHAPE = `sources:
  eu:                          # POST /webhooks/flexport/eu
    api: freight
    secrets: ["eu-new", "eu-old"]
  fulfilment:                  # POST or PUT /webhooks/flexport/fulfilment
    api: logistics
    auth: token
    token_header: X-Flexport-Token
    token: "tok-123"
`;

function problems(text: string): readonly string[] {
  try {
    parseConfigFile(text, "portcall.yaml", configFileSchema);
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error.problems;
  }
  assert.fail("expected a ConfigError");
}

const defaultSource = { secrets: ["main"], acceptSha1: true, maxBodyBytes: 1024 };

describe("sources section", () => {
  it("the shape of the issue → accepted", () => {
    const file = parseConfigFile(ISSUE_SHAPE, "portcall.yaml", configFileSchema);
    assert.deepEqual(file.sources?.eu, { api: "freight", secrets: ["eu-new", "eu-old"] });
    assert.equal(file.sources?.fulfilment?.api, "logistics");
  });

  it("a name that is not a safe path segment → error at its line naming it", () => {
    const found = problems("sources:\n  ../x:\n    api: freight\n    secrets: [a]\n");
    assert.equal(found.length, 1);
    assert.match(found[0] ?? "", /^portcall\.yaml:\d+:\d+ sources\.\.\.\/x: a source name must be/);
  });

  it('"default" as a name → refused (it is /webhooks/flexport)', () => {
    assert.match(problems("sources:\n  default:\n    api: freight\n    secrets: [a]\n")[0] ?? "", /default/);
  });

  it("freight without any secret, or with two kinds → error naming the fields", () => {
    assert.match(
      problems("sources:\n  eu:\n    api: freight\n")[0] ?? "",
      /sources\.eu: .*secrets, secret_file or secrets_file/,
    );
    assert.match(
      problems("sources:\n  eu:\n    api: freight\n    secrets: [a]\n    secret_file: x\n")[0] ?? "",
      /sources\.eu\.secret_file: set only one/,
    );
  });

  it("token auth without token_header or token → both fields named", () => {
    const found = problems("sources:\n  f:\n    api: logistics\n    auth: token\n");
    assert.ok(
      found.some((p) => /sources\.f\.token_header: auth: token needs token_header/.test(p)),
      found.join("\n"),
    );
    assert.ok(
      found.some((p) => /sources\.f\.token: auth: token needs token or token_file/.test(p)),
      found.join("\n"),
    );
  });

  it("basic auth without password; auth none without the allow flag → refused", () => {
    assert.match(
      problems("sources:\n  f:\n    api: logistics\n    auth: basic\n    username: u\n")[0] ?? "",
      /sources\.f\.password: auth: basic needs password or password_file/,
    );
    assert.match(
      problems("sources:\n  f:\n    api: logistics\n    auth: none\n")[0] ?? "",
      /sources\.f\.allow_unauthenticated: .*set allow_unauthenticated: true/,
    );
    const file = parseConfigFile(
      "sources:\n  f:\n    api: logistics\n    auth: none\n    allow_unauthenticated: true\n",
      "p.yaml",
      configFileSchema,
    );
    assert.equal(file.sources?.f?.api, "logistics");
  });

  it("an unknown api or misspelt field → error naming it", () => {
    assert.match(problems("sources:\n  f:\n    api: ocean\n")[0] ?? "", /sources\.f\.api/);
    assert.match(
      problems("sources:\n  f:\n    api: freight\n    secrets: [a]\n    secret: b\n")[0] ?? "",
      /sources\.f: Unrecognized key: "secret"/,
    );
  });
});

describe("createSourceRegistry", () => {
  it("reads *_file credentials relative to the config file; the default source is always there", () => {
    const dir = mkdtempSync(join(tmpdir(), "portcall-sources-"));
    writeFileSync(join(dir, "eu.secrets"), "one\ntwo\n");
    writeFileSync(join(dir, "pw"), "pass word\n");
    const text =
      "sources:\n  eu:\n    api: freight\n    secrets_file: eu.secrets\n" +
      "  wh:\n    api: logistics\n    auth: basic\n    username: u\n    password_file: pw\n";
    const configFile = join(dir, "portcall.yaml");
    const file = parseConfigFile(text, configFile, configFileSchema);
    const registry = createSourceRegistry(file.sources, { defaultSource, configFile });
    assert.deepEqual([...registry.keys()].sort(), ["default", "eu", "wh"]);
    assert.deepEqual(registry.get("wh")?.methods, ["POST", "PUT"]);
    assert.equal(
      registry.get("wh")?.credentialHeaders(Buffer.alloc(0)).authorization,
      `Basic ${Buffer.from("u:pass word").toString("base64")}`,
    );
  });

  it("a missing credential file → error naming the field, never a secret", () => {
    const file = parseConfigFile(
      "sources:\n  eu:\n    api: freight\n    secret_file: /nonexistent/secret\n",
      "p.yaml",
      configFileSchema,
    );
    assert.throws(
      () => createSourceRegistry(file.sources, { defaultSource }),
      (error: unknown) =>
        error instanceof ConfigError &&
        /^sources\.eu\.secret_file: cannot read/.test(error.problems[0] ?? ""),
    );
  });
});
