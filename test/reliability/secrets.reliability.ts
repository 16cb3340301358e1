import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { makeEvent } from "../helpers/fixtures.js";
import { deliver } from "../helpers/http.js";
import { type ServeProcess, startServe } from "../helpers/serve.js";
import { storeTargets, type TestStore } from "../helpers/stores.js";
import { tempDir } from "../helpers/temp.js";
import { recordResult } from "./support/results.js";
import { checkStore } from "./support/verify.js";

const NEW_SECRET = "whsec-new-8c1f0e7a3b92d4c6";
const OLD_SECRET = "whsec-old-51a9d2e04f7b3c88";
const WRONG_SECRET = "whsec-wrong-0000aaaa1111";
const DB_PASSWORD = "db-password-7e3d91c2";
const EU_SECRET = "whsec-eu-source-3c5e7a9b1d";
const LOGISTICS_TOKEN = "logistics-token-6f2a9c4e8b";
const WRONG_TOKEN = "logistics-token-wrong-1a2b3c";
const BASIC_PASSWORD = "basic-password-9d8c7b6a";
const BASIC_HEADER = `Basic ${Buffer.from(`flexport:${BASIC_PASSWORD}`).toString("base64")}`;
const MAX_BODY_BYTES = 4096;

const hex = (alg: "sha256" | "sha1", secret: string, body: Uint8Array) =>
  createHmac(alg, secret).update(body).digest("hex");

// PostgreSQL when reachable, so that a password in DATABASE_URL is one of the secrets checked.
const targets = await storeTargets();
const target = targets.find((t) => t.name === "postgres" && t.skip === undefined) ?? targets[0];

describe(`secrets: a full session with LOG_LEVEL=trace (${target?.name})`, () => {
  let installation: TestStore | undefined;
  let server: ServeProcess | undefined;

  after(async () => {
    await server?.stop("SIGKILL");
    await installation?.destroy();
  });

  it("no log line holds a configured secret or any signature value, sent or computed", async () => {
    if (!target) throw new Error("no store target");
    installation = await target.create();
    const env: Record<string, string> = { ...installation.env };
    if (target.name === "postgres" && env.DATABASE_URL) {
      const url = new URL(env.DATABASE_URL);
      url.password = DB_PASSWORD; // trust auth ignores it; it must still never be logged
      env.DATABASE_URL = url.toString();
    }
    // Named sources, their credentials read from files as an operator would mount them.
    const dir = tempDir();
    writeFileSync(join(dir, "eu.secret"), `${EU_SECRET}\n`);
    writeFileSync(join(dir, "basic.password"), `${BASIC_PASSWORD}\n`);
    const configFile = join(dir, "portcall.yaml");
    writeFileSync(
      configFile,
      "sources:\n" +
        "  eu: { api: freight, secret_file: eu.secret }\n" +
        `  fulfilment: { api: logistics, auth: token, token_header: X-Flexport-Token, token: "${LOGISTICS_TOKEN}" }\n` +
        "  warehouse: { api: logistics, auth: basic, username: flexport, password_file: basic.password }\n",
    );
    server = await startServe({
      ...env,
      PORTCALL_CONFIG: configFile,
      LOG_LEVEL: "trace",
      FLEXPORT_WEBHOOK_SECRET: `${NEW_SECRET},${OLD_SECRET}`,
      PORTCALL_MAX_BODY_BYTES: String(MAX_BODY_BYTES),
    });
    const url = server.webhookUrl;
    const bodies: Buffer[] = [];
    const sentSignatures: string[] = [];
    const statuses = new Map<number, number>();
    const acknowledgedIds = new Map<string, number>();
    const firstBodies = new Map<string, string>();
    let deliveries = 0;
    const send = async (
      body: Buffer,
      headers: Record<string, string>,
      to: string = url,
      method: "POST" | "PUT" = "POST",
    ) => {
      bodies.push(body);
      for (const value of Object.values(headers)) sentSignatures.push(value.replace(/^sha(1|256)=/, ""));
      const response = await deliver(to, body, { sign: false, headers, method });
      deliveries++;
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      if (response.status === 200) {
        const id = String(response.json.id);
        acknowledgedIds.set(id, (acknowledgedIds.get(id) ?? 0) + 1);
        if (!firstBodies.has(id)) firstBodies.set(id, body.toString("utf8"));
      }
      return response.status;
    };
    const both = (secret: string, body: Buffer) => ({
      "x-hub-signature-256": `sha256=${hex("sha256", secret, body)}`,
      "x-hub-signature": `sha1=${hex("sha1", secret, body)}`,
    });

    for (let i = 0; i < 10; i++) {
      const body = Buffer.from(makeEvent({ id: 9_600_000 + i }));
      assert.equal(await send(body, both(i % 2 === 0 ? NEW_SECRET : OLD_SECRET, body)), 200);
      assert.equal(await send(body, both(NEW_SECRET, body)), 200, "redelivery");
    }
    const sha1Only = Buffer.from(makeEvent({ id: 9_600_100 }));
    assert.equal(
      await send(sha1Only, { "x-hub-signature": `sha1=${hex("sha1", NEW_SECRET, sha1Only)}` }),
      200,
    );
    const forged = Buffer.from(makeEvent({ id: 9_600_101 }));
    assert.equal(await send(forged, both(WRONG_SECRET, forged)), 401);
    const conflict = Buffer.from(makeEvent({ id: 9_600_000, type: "/shipment#changed" }));
    assert.equal(await send(conflict, both(NEW_SECRET, conflict)), 200);
    const notJson = Buffer.from("{not json");
    assert.equal(await send(notJson, both(NEW_SECRET, notJson)), 400);
    const tooLarge = Buffer.alloc(MAX_BODY_BYTES + 1, 0x20);
    assert.equal(await send(tooLarge, both(NEW_SECRET, tooLarge)), 413);
    const truncated = Buffer.from(makeEvent({ id: 9_600_102 }));
    const good = hex("sha256", NEW_SECRET, truncated);
    assert.equal(await send(truncated, { "x-hub-signature-256": `sha256=${good.slice(0, 40)}` }), 401);
    // The other sources: a freight source with its own secret, Logistics API token and basic
    // auth over POST and PUT, and wrong credentials of each kind.
    const eu = Buffer.from(makeEvent({ id: 9_600_200 }));
    assert.equal(await send(eu, both(EU_SECRET, eu), `${url}/eu`), 200);
    assert.equal(await send(eu, both(NEW_SECRET, eu), `${url}/eu`), 401, "the default secret is not eu's");
    const logistics = (n: number) =>
      Buffer.from(
        JSON.stringify({
          logisticsAccountId: "LA-1",
          logisticsEventId: `evt-secrets-${n}`,
          logisticsEventType: "Order.Shipped",
          logisticsEventTime: "2024-10-07T17:48:52.000Z",
        }),
      );
    const token = (value: string) => ({ "x-flexport-token": value });
    assert.equal(await send(logistics(1), token(LOGISTICS_TOKEN), `${url}/fulfilment`), 200);
    assert.equal(await send(logistics(1), token(LOGISTICS_TOKEN), `${url}/fulfilment`, "PUT"), 200);
    assert.equal(await send(logistics(2), token(WRONG_TOKEN), `${url}/fulfilment`), 401);
    assert.equal(await send(logistics(3), { authorization: BASIC_HEADER }, `${url}/warehouse`, "PUT"), 200);
    const wrongBasic = `Basic ${Buffer.from("flexport:nope-0f9e8d").toString("base64")}`;
    assert.equal(await send(logistics(4), { authorization: wrongBasic }, `${url}/warehouse`), 401);
    assert.equal(await send(logistics(5), token(LOGISTICS_TOKEN), `${url}/warehouse`), 401);
    sentSignatures.push(wrongBasic.slice(6));
    for (const path of ["/readyz", "/healthz", "/metrics", "/nope"]) await fetch(`${server.url}${path}`);
    await fetch(url, { method: "GET", headers: both(NEW_SECRET, notJson) });

    const session = server;
    assert.equal(await session.stop("SIGTERM"), 0);
    server = undefined;
    await new Promise((resolve) => setTimeout(resolve, 100)); // the last lines of the pipe
    const lines = [...session.logs, ...session.stderr.join("").split("\n")].filter((l) => l.trim() !== "");

    const secrets = [
      NEW_SECRET,
      OLD_SECRET,
      WRONG_SECRET,
      DB_PASSWORD,
      EU_SECRET,
      LOGISTICS_TOKEN,
      WRONG_TOKEN,
      BASIC_PASSWORD,
      BASIC_HEADER.slice(6),
    ];
    const computed = bodies.flatMap((body) =>
      [NEW_SECRET, OLD_SECRET, WRONG_SECRET, EU_SECRET].flatMap((secret) => [
        hex("sha256", secret, body),
        hex("sha1", secret, body),
      ]),
    );
    // A signature leaks even in part: look for any 16-hex-digit slice of one, in any case.
    const needles = [...new Set([...sentSignatures, ...computed])].map((sig) =>
      sig.slice(0, 16).toLowerCase(),
    );
    const leaks = lines.filter((line) => {
      const lower = line.toLowerCase();
      return (
        secrets.some((secret) => line.includes(secret)) || needles.some((needle) => lower.includes(needle))
      );
    });
    const verboseLines = lines.filter((l) => /"level":(10|20),/.test(l)).length;
    const store = await installation.open();
    let check: Awaited<ReturnType<typeof checkStore>>;
    try {
      check = await checkStore(store, acknowledgedIds, (id) => firstBodies.get(id));
      assert.equal((await store.getEvent("9600200"))?.source_name, "eu");
      assert.equal((await store.getEvent("logistics:evt-secrets-1"))?.deliveries, 2);
      assert.equal((await store.getEvent("logistics:evt-secrets-3"))?.source_name, "warehouse");
      for (const refused of [
        "logistics:evt-secrets-2",
        "logistics:evt-secrets-4",
        "logistics:evt-secrets-5",
      ]) {
        assert.equal(await store.getEvent(refused), undefined, `${refused} was refused, so not stored`);
      }
    } finally {
      await store.close();
    }
    recordResult({
      case: "secrets",
      store: target.name,
      done: `\`portcall serve\` with LOG_LEVEL=trace, two secrets (rotation), named sources (a freight secret from a file, Logistics API token and basic auth over POST and PUT, wrong credentials of each)${target.name === "postgres" ? ", a password in DATABASE_URL" : ""}: valid, redelivered, SHA-1-only, forged, conflicting, non-JSON, oversized and truncated-signature deliveries plus /readyz, /healthz, /metrics, 404, 405`,
      deliveries,
      acknowledged: acknowledgedIds.size,
      found: check.found,
      lost: check.lost.length,
      duplicated: check.duplicated,
      crashes: 0,
      notes: `${[...acknowledgedIds.values()].reduce((a, b) => a + b, 0)} 2xx; ${lines.length} log lines (${verboseLines} at debug or trace) searched for ${secrets.length} secrets and ${needles.length} signature values (sent or computed): ${leaks.length} leaks`,
    });
    assert.ok(lines.length > deliveries, "the session was logged");
    assert.deepEqual(leaks, [], "no log line holds a secret or a signature");
    assert.deepEqual(check.lost, [], "every acknowledged event is stored");
    assert.deepEqual(check.corrupt, []);
  });
});
