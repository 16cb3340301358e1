import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type LogisticsAuth, logisticsAuthHeaders, verifyLogisticsAuth } from "./logistics-auth.js";

const token: LogisticsAuth = { kind: "token", header: "x-flexport-token", tokens: ["tok-1", "tok-2"] };
const basic: LogisticsAuth = { kind: "basic", credentials: [{ username: "flexport", password: "p:w d" }] };
const lookup = (headers: Record<string, string | string[]>) => (name: string) => headers[name];
const basicHeader = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;

describe("verifyLogisticsAuth", () => {
  it("token in the configured header → ok, for any accepted token", () => {
    assert.deepEqual(verifyLogisticsAuth(token, lookup({ "x-flexport-token": "tok-1" })), { ok: true });
    assert.deepEqual(verifyLogisticsAuth(token, lookup({ "x-flexport-token": "tok-2" })), { ok: true });
  });

  it("wrong token, a prefix of it, or the token in another header → refused", () => {
    assert.deepEqual(verifyLogisticsAuth(token, lookup({ "x-flexport-token": "tok-3" })), {
      ok: false,
      failure: "mismatch",
    });
    assert.equal(verifyLogisticsAuth(token, lookup({ "x-flexport-token": "tok" })).ok, false);
    assert.deepEqual(verifyLogisticsAuth(token, lookup({ authorization: "tok-1" })), {
      ok: false,
      failure: "missing",
    });
  });

  it("token header sent twice → refused", () => {
    assert.equal(verifyLogisticsAuth(token, lookup({ "x-flexport-token": ["tok-1", "tok-1"] })).ok, false);
  });

  it("basic credentials → ok; wrong password, wrong user or another scheme → refused", () => {
    assert.deepEqual(
      verifyLogisticsAuth(basic, lookup({ authorization: basicHeader("flexport", "p:w d") })),
      {
        ok: true,
      },
    );
    assert.equal(
      verifyLogisticsAuth(basic, lookup({ authorization: basicHeader("flexport", "p:w") })).ok,
      false,
    );
    assert.equal(
      verifyLogisticsAuth(basic, lookup({ authorization: basicHeader("other", "p:w d") })).ok,
      false,
    );
    assert.deepEqual(verifyLogisticsAuth(basic, lookup({ authorization: "Bearer abc" })), {
      ok: false,
      failure: "malformed",
    });
    assert.deepEqual(verifyLogisticsAuth(basic, lookup({})), { ok: false, failure: "missing" });
  });

  it("none → ok without any header", () => {
    assert.deepEqual(verifyLogisticsAuth({ kind: "none" }, lookup({})), { ok: true });
  });

  it("logisticsAuthHeaders → headers that verify", () => {
    for (const auth of [token, basic]) {
      const headers = logisticsAuthHeaders(auth);
      assert.deepEqual(verifyLogisticsAuth(auth, lookup(headers)), { ok: true });
    }
  });
});
