import assert from "node:assert/strict";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { describe, it } from "node:test";
import { ConfigError, loadConfig } from "../src/config/config.js";
import { resolveUiPassword } from "../src/config/secrets.js";
import { tempDir } from "./helpers/temp.js";

describe("dashboard configuration", () => {
  it("defaults → on, no password set, 12-hour sessions", () => {
    const ui = loadConfig({}).ui;
    assert.equal(ui.enabled, true);
    assert.equal(ui.password, undefined);
    assert.equal(ui.sessionHours, 12);
    assert.equal(loadConfig({ PORTCALL_UI: "false" }).ui.enabled, false);
  });

  it("bad values → errors naming the variable, never echoing a password", () => {
    assert.throws(
      () => loadConfig({ PORTCALL_UI_PASSWORD: "short" }),
      (error: unknown) =>
        error instanceof ConfigError &&
        /PORTCALL_UI_PASSWORD: must be at least 8 characters/.test(error.message) &&
        !error.message.includes('short"'),
    );
    assert.throws(() => loadConfig({ PORTCALL_UI: "maybe" }), /PORTCALL_UI: must be true or false/);
    assert.throws(
      () => loadConfig({ PORTCALL_UI_TRUSTED_HEADER: "x y" }),
      /PORTCALL_UI_TRUSTED_HEADER: must be an HTTP header name/,
    );
    assert.throws(
      () => loadConfig({ PORTCALL_UI_PASSWORD: "long-enough", PORTCALL_UI_PASSWORD_FILE: "/x" }),
      /PORTCALL_UI_PASSWORD and PORTCALL_UI_PASSWORD_FILE are both set/,
    );
  });

  it("no password configured → one is generated (mode 0600) in the data folder and reused", () => {
    const dir = tempDir();
    const config = loadConfig({ PORTCALL_DATA_DIR: dir });
    const first = resolveUiPassword(config);
    assert.equal(first.source, "generated");
    assert.equal(statSync(first.path ?? "").mode & 0o777, 0o600);
    assert.ok(first.password.length >= 32);
    const again = resolveUiPassword(config);
    assert.equal(again.source, "data-dir");
    assert.equal(again.password, first.password);
    assert.equal(readFileSync(first.path ?? "", "utf8").trim(), first.password);
  });

  it("PORTCALL_UI_PASSWORD_FILE → read and trimmed; a missing or short file → an error naming it", () => {
    const dir = tempDir();
    writeFileSync(`${dir}/pw`, "  from-a-mounted-secret\n");
    const config = loadConfig({ PORTCALL_DATA_DIR: dir, PORTCALL_UI_PASSWORD_FILE: `${dir}/pw` });
    assert.deepEqual(resolveUiPassword(config), {
      password: "from-a-mounted-secret",
      source: "file",
      path: `${dir}/pw`,
    });
    writeFileSync(`${dir}/short`, "abc\n");
    assert.throws(
      () => resolveUiPassword(loadConfig({ PORTCALL_UI_PASSWORD_FILE: `${dir}/short` })),
      /PORTCALL_UI_PASSWORD_FILE: .* holds fewer than 8 characters/,
    );
    assert.throws(
      () => resolveUiPassword(loadConfig({ PORTCALL_UI_PASSWORD_FILE: `${dir}/absent` })),
      /PORTCALL_UI_PASSWORD_FILE: cannot read .*absent \(ENOENT\)/,
    );
  });
});
