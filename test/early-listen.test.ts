import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { after, test } from "node:test";
import type { EventStore } from "../src/stores/store.js";
import { makeEvent } from "./helpers/fixtures.js";
import { buildTestApp, deliver } from "./helpers/http.js";
import { storeTargets, type TestStore } from "./helpers/stores.js";

// serve listens on the node:http server before Fastify has loaded its plugins (server.ts):
// the direct delivery path must work then, and every other request must wait, not 404.
const sqlite = (await storeTargets()).find((t) => t.name === "sqlite");
let installation: TestStore | undefined;
let store: EventStore | undefined;
after(async () => {
  await store?.close();
  await installation?.destroy();
});

test("listening before Fastify is ready: a delivery is stored at once; the dashboard and /healthz answer once it is", async () => {
  assert.ok(sqlite);
  installation = await sqlite.create();
  store = await installation.open();
  await store.migrate();
  const app = buildTestApp(store, { dashboard: { password: "early-listen-password", sessionHours: 1 } });
  await new Promise<void>((resolve) => app.server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  try {
    const delivered = await deliver(`${url}/webhooks/flexport`, makeEvent({ id: 4242 }));
    assert.equal(delivered.status, 200);
    assert.equal(delivered.json.status, "stored");
    // Nothing has asked Fastify to load its plugins yet: the dashboard's routes do not exist.
    assert.equal(app.hasRoute({ method: "GET", url: "/ui/sign-in" }), false);
    const [health, signIn] = await Promise.all([fetch(`${url}/healthz`), fetch(`${url}/ui/sign-in`)]);
    assert.equal(health.status, 200);
    assert.equal(signIn.status, 200);
    assert.match(await signIn.text(), /<form/);
    assert.equal(app.hasRoute({ method: "GET", url: "/ui/sign-in" }), true);
  } finally {
    app.server.close();
    await app.close();
  }
});
