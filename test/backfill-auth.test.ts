import assert from "node:assert/strict";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { runBackfill } from "../src/backfill/backfill.js";
import { loadFlexportApiConfig } from "../src/backfill/backfill-config.js";
import { TOKEN_CACHE_FILE } from "../src/backfill/flexport-auth.js";
import { openFlexportEventsClient } from "../src/backfill/open-flexport-client.js";
import { FlexportApiError } from "../src/backfill/retry.js";
import { openStore } from "../src/stores/open-store.js";
import type { EventStore } from "../src/stores/store.js";
import { type FakeFlexportApi, fakeApiEvents, startFakeFlexportApi } from "./fakes/fake-flexport-api.js";
import { tempDir } from "./helpers/temp.js";

const CLIENT = { id: "portcall-test-client", secret: "portcall-test-client-secret" };
const DAY_MS = 24 * 60 * 60_000;

// Authentication does not depend on the store, so one (SQLite) is enough here.
describe("backfill authentication", () => {
  let api: FakeFlexportApi;
  let store: EventStore;
  const events = fakeApiEvents();

  before(async () => {
    api = await startFakeFlexportApi({ events, pageSize: 5, client: CLIENT, apiToken: "right-api-key" });
    store = await openStore({ databaseUrl: `sqlite:${tempDir()}/portcall.db` });
    await store.migrate();
  });

  after(async () => {
    await store?.close();
    await api?.close();
  });

  function run(dataDir: string, env: Record<string, string>, now = Date.now) {
    const config = loadFlexportApiConfig({ FLEXPORT_API_URL: api.url, ...env });
    const client = openFlexportEventsClient(config, {
      dataDir,
      retry: { now, sleep: async () => undefined },
    });
    return runBackfill({
      store,
      client,
      apiUrl: config.apiUrl,
      query: { since: "2024-01-01T00:00:00.000Z" },
      dryRun: false,
      dataDir,
    });
  }

  const clientEnv = { FLEXPORT_CLIENT_ID: CLIENT.id, FLEXPORT_CLIENT_SECRET: CLIENT.secret };

  it("client credentials, two runs → one token request; token cached with mode 0600", async () => {
    const dataDir = tempDir();
    const first = api.tokenRequests;
    assert.equal((await run(dataDir, clientEnv)).fetched, events.length);
    assert.equal((await run(dataDir, clientEnv)).fetched, events.length);
    assert.equal(api.tokenRequests - first, 1);
    const cache = join(dataDir, TOKEN_CACHE_FILE);
    assert.equal(statSync(cache).mode & 0o777, 0o600);
    assert.ok(!readFileSync(cache, "utf8").includes(CLIENT.secret), "the client secret is not cached");
  });

  it("cached token near its 24 h expiry → a new token is requested", async () => {
    const dataDir = tempDir();
    const first = api.tokenRequests;
    await run(dataDir, clientEnv);
    await run(dataDir, clientEnv, () => Date.now() + DAY_MS - 60_000);
    assert.equal(api.tokenRequests - first, 2);
  });

  it("token revoked before expiry → 401, one new token, the run completes", async () => {
    const dataDir = tempDir();
    await run(dataDir, clientEnv);
    api.revokeTokens();
    const first = api.tokenRequests;
    assert.equal((await run(dataDir, clientEnv)).fetched, events.length);
    assert.equal(api.tokenRequests - first, 1);
  });

  it("client secret changed after a token was cached → the cached token is not used; the new secret is checked", async () => {
    const dataDir = tempDir();
    await run(dataDir, clientEnv);
    // The token endpoint refuses the new secret: the run says so at once.
    await assert.rejects(
      run(dataDir, { FLEXPORT_CLIENT_ID: CLIENT.id, FLEXPORT_CLIENT_SECRET: "rotated-wrong-secret" }),
      (error: unknown) =>
        error instanceof FlexportApiError &&
        /^OAuth token request: HTTP 401.*FLEXPORT_CLIENT_SECRET/.test(error.message),
    );
    const cache = readFileSync(join(dataDir, TOKEN_CACHE_FILE), "utf8");
    assert.ok(!cache.includes(CLIENT.secret), "the cache holds a hash of the secret, not the secret");
  });

  it("every token rejected by the API → the cached token is dropped and fetched again once, then an error", async () => {
    const dataDir = tempDir();
    await run(dataDir, clientEnv);
    const first = api.tokenRequests;
    api.inject({ path: "/events", status: 401 });
    api.inject({ path: "/events", status: 401 });
    await assert.rejects(run(dataDir, clientEnv), (error: unknown) => {
      assert.ok(error instanceof FlexportApiError);
      assert.equal(error.status, 401);
      return true;
    });
    assert.equal(api.tokenRequests - first, 1);
  });

  it("token endpoint answering 500 once → retried", async () => {
    const dataDir = tempDir();
    api.inject({ path: "/oauth/token", status: 500 });
    assert.equal((await run(dataDir, clientEnv)).fetched, events.length);
  });

  it("wrong client secret → error naming the variables, without the secret", async () => {
    await assert.rejects(
      run(tempDir(), { FLEXPORT_CLIENT_ID: CLIENT.id, FLEXPORT_CLIENT_SECRET: "wrong-secret" }),
      (error: unknown) => {
        assert.ok(error instanceof FlexportApiError);
        assert.equal(error.status, 401);
        assert.match(error.message, /FLEXPORT_CLIENT_SECRET/);
        assert.ok(!error.message.includes("wrong-secret"));
        return true;
      },
    );
  });

  it("API key → sent as bearer with Flexport-Version: 2; wrong key → 401 naming FLEXPORT_API_TOKEN", async () => {
    assert.equal((await run(tempDir(), { FLEXPORT_API_TOKEN: "right-api-key" })).fetched, events.length);
    await assert.rejects(run(tempDir(), { FLEXPORT_API_TOKEN: "wrong-api-key" }), (error: unknown) => {
      assert.ok(error instanceof FlexportApiError);
      assert.match(error.message, /HTTP 401.*FLEXPORT_API_TOKEN/);
      assert.ok(!error.message.includes("wrong-api-key"));
      return true;
    });
  });
});
