import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createDashboardAuth } from "./dashboard-auth.js";

const basic = (text: string) => `Basic ${Buffer.from(text).toString("base64")}`;

describe("createDashboardAuth", () => {
  let now = 1_000_000;
  const auth = createDashboardAuth({ password: "s3cret-password", sessionMs: 60_000, now: () => now });

  it("checkBasic → true for the password with any user name, false otherwise", () => {
    assert.equal(auth.checkBasic(basic("anyone:s3cret-password")), true);
    assert.equal(auth.checkBasic(basic(":s3cret-password")), true);
    assert.equal(
      auth.checkBasic(basic("user:with:s3cret-password")),
      false,
      "the user ends at the first colon",
    );
    assert.equal(auth.checkBasic(basic("anyone:s3cret-passwor")), false);
    assert.equal(auth.checkBasic(basic("s3cret-password")), false, "no colon");
    assert.equal(auth.checkBasic(undefined), false);
    assert.equal(auth.checkBasic("Bearer s3cret-password"), false);
  });

  it("a session → valid until it expires; a changed byte or another password's key → invalid", () => {
    const session = auth.issueSession();
    assert.equal(auth.checkSession(session), true);
    const flipped = `${session.slice(0, -1)}${session.endsWith("A") ? "B" : "A"}`;
    assert.equal(auth.checkSession(flipped), false);
    const [expiry, nonce, mac] = session.split(".");
    assert.equal(
      auth.checkSession(`${Number(expiry) + 1}.${nonce}.${mac}`),
      false,
      "a longer expiry breaks the MAC",
    );
    const other = createDashboardAuth({ password: "another-password", sessionMs: 60_000, now: () => now });
    assert.equal(other.checkSession(session), false);
    now += 60_001;
    assert.equal(auth.checkSession(session), false, "expired");
    assert.equal(auth.checkSession("garbage"), false);
    assert.equal(auth.checkSession(undefined), false);
  });

  it("csrf token → accepted only with the session it was made for", () => {
    const a = auth.issueSession();
    const b = auth.issueSession();
    assert.equal(auth.checkCsrf(a, auth.csrfToken(a)), true);
    assert.equal(auth.checkCsrf(b, auth.csrfToken(a)), false);
    assert.equal(auth.checkCsrf(undefined, auth.csrfToken(a)), false);
    assert.equal(auth.checkCsrf(a, undefined), false);
  });
});
