import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { verifiedEvent } from "../src/core/verified-event.js";
import type { App } from "../src/server/app.js";
import type { EventStore } from "../src/stores/store.js";
import { makeEvent } from "./helpers/fixtures.js";
import { buildTestApp, deliver, TEST_SECRET } from "./helpers/http.js";
import { storeTargets, type TestStore } from "./helpers/stores.js";

// Access to /ui/ through the real app (inject): what is refused, what is allowed, and the
// headers every answer carries. The pages themselves are tested in Chromium.

const PASSWORD = "correct horse battery staple";
const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
const [sqlite] = await storeTargets();

describe("dashboard access over HTTP", () => {
  let installation: TestStore;
  let store: EventStore;
  let app: App;
  const logLines: string[] = [];

  const build = (extra: Record<string, unknown> = {}) =>
    buildTestApp(store, {
      logLines,
      dashboard: {
        password: PASSWORD,
        sessionHours: 1,
        signInLimit: { max: 3, windowMs: 60_000 },
        ...extra,
      },
    });

  before(async () => {
    installation = await (sqlite?.create() ?? Promise.reject(new Error("no sqlite target")));
    store = await installation.open();
    await store.migrate();
    app = build();
    await app.ready();
  });

  after(async () => {
    await app?.close();
    await store?.close();
    await installation?.destroy();
  });

  it("no credentials → 401 with a Basic challenge; a browser is sent to the sign-in page", async () => {
    const plain = await app.inject({ url: "/ui/" });
    assert.equal(plain.statusCode, 401);
    assert.match(String(plain.headers["www-authenticate"]), /^Basic realm="portcall dashboard"/);
    const browser = await app.inject({ url: "/ui/health?x=1", headers: { accept: "text/html" } });
    assert.equal(browser.statusCode, 303);
    assert.equal(browser.headers.location, "/ui/sign-in?next=%2Fui%2Fhealth%3Fx%3D1");
    assert.equal((await app.inject({ url: "/ui/sign-in" })).statusCode, 200);
  });

  it("every answer under /ui/ → strict CSP, nosniff, frame denial, no caching", async () => {
    for (const url of ["/ui/", "/ui/sign-in", "/ui/no-such-page", "/ui/events/1"]) {
      const answer = await app.inject({ url, headers: { authorization: basic("x", PASSWORD) } });
      const csp = String(answer.headers["content-security-policy"]);
      assert.match(csp, /default-src 'none'/, url);
      assert.match(csp, /script-src 'self'(;|$)/, url);
      assert.match(csp, /frame-ancestors 'none'/, url);
      assert.equal(answer.headers["x-content-type-options"], "nosniff", url);
      assert.equal(answer.headers["x-frame-options"], "DENY", url);
    }
    const missing = await app.inject({
      url: "/ui/no-such-page",
      headers: { authorization: basic("x", PASSWORD) },
    });
    assert.equal(missing.statusCode, 404);
    assert.match(missing.body, /There is no dashboard page here/);
  });

  it("Basic auth → any user name with the password; a wrong password or a malformed header → 401", async () => {
    assert.equal(
      (await app.inject({ url: "/ui/", headers: { authorization: basic("ops", PASSWORD) } })).statusCode,
      200,
    );
    assert.equal(
      (await app.inject({ url: "/ui/", headers: { authorization: basic("", PASSWORD) } })).statusCode,
      200,
    );
    assert.equal(
      (await app.inject({ url: "/ui/", headers: { authorization: basic("ops", "nope") } })).statusCode,
      401,
    );
    assert.equal(
      (await app.inject({ url: "/ui/", headers: { authorization: "Basic %%%" } })).statusCode,
      401,
    );
    assert.equal(
      (await app.inject({ url: "/ui/", headers: { authorization: `Bearer ${PASSWORD}` } })).statusCode,
      401,
    );
  });

  it("a bad query parameter → 400 naming it, not a stack trace", async () => {
    const answer = await app.inject({
      url: "/ui/?status=lost&page=1",
      headers: { authorization: basic("x", PASSWORD) },
    });
    assert.equal(answer.statusCode, 400);
    assert.match(
      answer.body,
      /query parameter &quot;status&quot;: must be one of delivered, in-transit, exception/,
    );
    const page = await app.inject({ url: "/ui/?page=0", headers: { authorization: basic("x", PASSWORD) } });
    assert.equal(page.statusCode, 400);
    assert.match(page.body, /query parameter &quot;page&quot;/);
  });

  it("sign-in → Secure cookie only behind HTTPS; next may only point into the dashboard", async () => {
    const form = (next: string) =>
      `password=${encodeURIComponent(PASSWORD)}&next=${encodeURIComponent(next)}`;
    const headers = { "content-type": "application/x-www-form-urlencoded" };
    const plain = await app.inject({
      method: "POST",
      url: "/ui/sign-in",
      headers,
      payload: form("/ui/health"),
    });
    assert.equal(plain.statusCode, 303);
    assert.equal(plain.headers.location, "/ui/health");
    const cookie = String(plain.headers["set-cookie"]);
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Strict/);
    assert.doesNotMatch(cookie, /Secure/);
    const tls = await app.inject({
      method: "POST",
      url: "/ui/sign-in",
      headers: { ...headers, "x-forwarded-proto": "https" },
      payload: form("https://evil.example/"),
    });
    assert.match(String(tls.headers["set-cookie"]), /Secure/);
    assert.equal(tls.headers.location, "/ui/", "an outside next is replaced");
    const session = /portcall_session=([^;]+)/.exec(cookie)?.[1] ?? "";
    const withCookie = await app.inject({ url: "/ui/", cookies: { portcall_session: session } });
    assert.equal(withCookie.statusCode, 200);
    assert.match(withCookie.body, /name="csrf" value="[A-Za-z0-9_-]{20,}"/);
    const forged = await app.inject({
      url: "/ui/",
      cookies: { portcall_session: `${session.slice(0, -2)}xx` },
    });
    assert.equal(forged.statusCode, 401);
    assert.ok(!logLines.some((l) => l.includes(PASSWORD)), "the password is never logged");
  });

  it("sign-in attempts → rate-limited per client (429 after the limit)", async () => {
    const limited = build({ signInLimit: { max: 2, windowMs: 60_000 } });
    try {
      const attempt = () =>
        limited.inject({
          method: "POST",
          url: "/ui/sign-in",
          headers: { "content-type": "application/x-www-form-urlencoded" },
          payload: "password=wrong-guess",
        });
      assert.equal((await attempt()).statusCode, 401);
      assert.equal((await attempt()).statusCode, 401);
      const third = await attempt();
      assert.equal(third.statusCode, 429);
      assert.match(third.body, /too many sign-in attempts/);
    } finally {
      await limited.close();
    }
  });

  it("a trusted identity-aware-proxy header → signed in as that user; ignored when not configured", async () => {
    const header = "x-goog-authenticated-user-email";
    assert.equal(
      (await app.inject({ url: "/ui/", headers: { [header]: "ops@example.com" } })).statusCode,
      401,
    );
    const proxied = build({ trustedHeader: header });
    try {
      const answer = await proxied.inject({
        url: "/ui/",
        headers: { [header]: "accounts.google.com:ops@example.com" },
      });
      assert.equal(answer.statusCode, 200);
      assert.match(answer.body, /Signed in: accounts.google.com:ops@example.com/);
    } finally {
      await proxied.close();
    }
  });

  it("health with an export sink and a dead letter → backlog and dead letters on the page", async () => {
    const db = (store as unknown as { database: { exec(sql: string): void } }).database;
    db.exec(`INSERT INTO portcall_sinks (name, target, enabled_at) VALUES ('bigquery', 'acme.flexport.events', '2024-06-01T00:00:00Z');
      INSERT INTO portcall_outbox (sink, event_id, attempts, next_attempt_at, last_error, enqueued_at, dead_at)
      VALUES ('bigquery', '77', 5, '2024-06-01T00:00:00Z', 'invalid: <row> rejected', '2024-06-01T00:00:00Z', '2024-06-02T00:00:00Z'),
             ('bigquery', '78', 0, '2024-06-01T00:00:00Z', NULL, '2024-06-01T00:00:00Z', NULL);`);
    const withSink = build();
    try {
      const page = await withSink.inject({
        url: "/ui/health",
        headers: { authorization: basic("x", PASSWORD) },
      });
      assert.equal(page.statusCode, 200);
      assert.match(page.body, /<th scope="col">Dead letters<\/th>/);
      assert.match(page.body, /Latest dead letters/);
      assert.match(page.body, /invalid: &lt;row&gt; rejected/);
      assert.match(
        page.body,
        /acme\.flexport\.events<\/td><td class="num">1<\/td><td class="num">0<\/td><td class="num">1<\/td>/,
      );
    } finally {
      await withSink.close();
    }
  });

  it("the source on the inspector, the quarantined bodies and the board's filter → shown, and escaped", async () => {
    // Configured names are restricted, but the pages must not trust what a row says.
    const hostile = `<i>eu</i>"&`;
    const escaped = "&lt;i&gt;eu&lt;/i&gt;&quot;&amp;";
    const made = (id: number, shipmentId: number, sourceName: string) => {
      const built = verifiedEvent(Buffer.from(makeEvent({ id, shipmentId })), "sha256", "webhook", {
        sourceName,
        api: "freight",
      });
      assert.ok(built.ok);
      return built.event;
    };
    await store.insertIfAbsent(made(8_810_001, 2_800_001, hostile), new Date());
    await store.insertIfAbsent(made(8_810_002, 2_800_002, "eu"), new Date());
    await store.quarantine(
      {
        reason: "invalid_event",
        detail: "not an event",
        payload: Buffer.from('{"x":1}'),
        payloadSha256: "ab".repeat(32),
        eventId: null,
        signatureAlg: "sha256",
        sourceName: hostile,
      },
      new Date(),
    );
    const get = async (url: string) => {
      const answer = await app.inject({ url, headers: { authorization: basic("x", PASSWORD) } });
      assert.equal(answer.statusCode, 200, url);
      assert.doesNotMatch(answer.body, /<i>eu<\/i>/, url);
      return answer.body;
    };
    assert.match(
      await get("/ui/events/8810001"),
      new RegExp(`<dt>Source</dt><dd><code>${escaped}</code> \\(freight webhooks\\)`),
    );
    assert.match(await get("/ui/events/8810002"), /<dt>Source<\/dt><dd><code>eu<\/code>/);
    assert.match(
      await get("/ui/health"),
      new RegExp(`<td><code>${escaped}</code></td><td><code>invalid_event</code>`),
    );
    assert.match(
      await get(`/ui/rejects/${"ab".repeat(32)}`),
      new RegExp(`Sent to source</dt><dd><code>${escaped}</code>`),
    );
    const board = await get("/ui/");
    assert.match(board, /<select id="source" name="source">/, "several sources → a source filter");
    assert.match(board, new RegExp(`<option value="${escaped}">${escaped}</option>`));
    const eu = await get("/ui/?source=eu");
    assert.match(eu, /<option value="eu" selected>eu<\/option>/);
    assert.match(eu, /1 shipment\b/);
    assert.match(eu, /#2800002/);
    assert.doesNotMatch(eu, /#2800001/);
    const tooLong = await app.inject({
      url: `/ui/?source=${"x".repeat(64)}`,
      headers: { authorization: basic("x", PASSWORD) },
    });
    assert.equal(tooLong.statusCode, 400);
    assert.match(tooLong.body, /query parameter &quot;source&quot;|query parameter "source"/);
  });

  it("events stored with no page open → summarised in the background", async () => {
    const before = await store.reports().pendingSummaries();
    assert.equal(before.events, 0);
    const made = verifiedEvent(
      Buffer.from(makeEvent({ id: 8_700_001, shipmentId: 2_700_555 })),
      "sha256",
      "webhook",
    );
    assert.ok(made.ok);
    await store.insertIfAbsent(made.event, new Date());
    // Not asserted pending here: the writer thread may fold it in before this line runs.
    const deadline = Date.now() + 10_000;
    while ((await store.reports().pendingSummaries()).events > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal((await store.reports().shipment("2700555"))?.event_count, 1);
  });

  it("dashboard off → /ui/ is not served at all; the webhook answers as before either way", async () => {
    const off = buildTestApp(store);
    try {
      const answer = await off.inject({ url: "/ui/" });
      assert.equal(answer.statusCode, 404);
      assert.equal(answer.json().error, "not_found");
    } finally {
      await off.close();
    }
    const server = await app.listen({ host: "127.0.0.1", port: 0 });
    const stored = await deliver(`${server}/webhooks/flexport`, makeEvent({ id: 8_800_001 }), {
      secret: TEST_SECRET,
    });
    assert.equal(stored.status, 200);
    assert.equal(stored.json.status, "stored");
  });
});
