import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { after, describe, it } from "node:test";
import { makeEvent } from "../helpers/fixtures.js";
import { deliver } from "../helpers/http.js";
import { type ServeProcess, startServe } from "../helpers/serve.js";
import { storeTargets, type TestStore } from "../helpers/stores.js";
import { recordResult } from "./support/results.js";
import { checkStore } from "./support/verify.js";

const NEW_SECRET = "whsec-new-8c1f0e7a3b92d4c6";
const OLD_SECRET = "whsec-old-51a9d2e04f7b3c88";
const WRONG_SECRET = "whsec-wrong-0000aaaa1111";
const DB_PASSWORD = "db-password-7e3d91c2";
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
    server = await startServe({
      ...env,
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
    const send = async (body: Buffer, headers: Record<string, string>) => {
      bodies.push(body);
      for (const value of Object.values(headers)) sentSignatures.push(value.replace(/^sha(1|256)=/, ""));
      const response = await deliver(url, body, { sign: false, headers });
      deliveries++;
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      if (response.status === 200) {
        const parsed = JSON.parse(body.toString("utf8")) as { id: number };
        const id = String(parsed.id);
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
    for (const path of ["/readyz", "/healthz", "/metrics", "/nope"]) await fetch(`${server.url}${path}`);
    await fetch(url, { method: "GET", headers: both(NEW_SECRET, notJson) });

    const session = server;
    assert.equal(await session.stop("SIGTERM"), 0);
    server = undefined;
    await new Promise((resolve) => setTimeout(resolve, 100)); // the last lines of the pipe
    const lines = [...session.logs, ...session.stderr.join("").split("\n")].filter((l) => l.trim() !== "");

    const secrets = [NEW_SECRET, OLD_SECRET, WRONG_SECRET, DB_PASSWORD];
    const computed = bodies.flatMap((body) =>
      [NEW_SECRET, OLD_SECRET, WRONG_SECRET].flatMap((secret) => [
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
    } finally {
      await store.close();
    }
    recordResult({
      case: "secrets",
      store: target.name,
      done: `\`portcall serve\` with LOG_LEVEL=trace, two secrets (rotation)${target.name === "postgres" ? ", a password in DATABASE_URL" : ""}: valid, redelivered, SHA-1-only, forged, conflicting, non-JSON, oversized and truncated-signature deliveries plus /readyz, /healthz, /metrics, 404, 405`,
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
