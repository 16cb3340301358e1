import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { after, describe, it } from "node:test";
import { Webhook } from "standardwebhooks";
import { alertingEventBody, isAlerting, seededRandom, sleep } from "../helpers/events.js";
import { TEST_SECRET } from "../helpers/http.js";
import { freePort } from "../helpers/net.js";
import { type RecordingReceiver, startRecordingReceiver } from "../helpers/recording-receiver.js";
import { type ServeProcess, startServe } from "../helpers/serve.js";
import { storeTargets, type TestStore } from "../helpers/stores.js";
import { tempDir } from "../helpers/temp.js";
import { startLoad } from "./support/load-process.js";
import { recordResult } from "./support/results.js";

const KILLS = 10;
const SEED = 15_0001;
const HOOK_SECRET = `whsec_${Buffer.alloc(32, 9).toString("base64")}`;

for (const target of await storeTargets()) {
  describe(`alerts crash: receiver SIGKILLed between commit and send (${target.name})`, {
    skip: target.skip ?? false,
  }, () => {
    let installation: TestStore | undefined;
    let server: ServeProcess | undefined;
    let receiver: RecordingReceiver | undefined;

    after(async () => {
      server?.child.kill("SIGKILL");
      await receiver?.close();
      await installation?.destroy();
    });

    it(`${KILLS} kill -9 and restarts under load → every committed exception alerted once per webhook-id, none lost`, async () => {
      installation = await target.create();
      receiver = await startRecordingReceiver();
      const port = await freePort();
      const env = {
        ...installation.env,
        FLEXPORT_WEBHOOK_SECRET: TEST_SECRET,
        PORT: String(port),
        PORTCALL_EXPORT_POLL_MS: "20",
        PORTCALL_EXPORT_RETRY_BASE_MS: "20",
        PORTCALL_EXPORT_RETRY_MAX_MS: "200",
        // A killed receiver's claimed batch comes back after this (default 30 s).
        PORTCALL_ALERT_LEASE_MS: "1500",
      };
      const dir = tempDir();
      writeFileSync(
        `${dir}/portcall.yaml`,
        `destinations:\n  hooks:\n    type: webhook\n    url: ${receiver.url}/hooks\n    secretEnv: HOOK_SECRET\nrules:\n  - name: exceptions\n    when: { condition: exception }\n    to: hooks\n`,
      );
      const serveEnv = { ...env, PORTCALL_CONFIG: `${dir}/portcall.yaml`, HOOK_SECRET };
      server = await startServe(serveEnv);
      const load = startLoad({
        url: server.webhookUrl,
        secret: TEST_SECRET,
        firstId: 9_100_000,
        concurrency: 6,
        redeliveryRate: 0.3,
        maxDeliveries: 50_000,
        maxMs: 60_000,
        seed: SEED,
        alerting: true,
      });
      const random = seededRandom(SEED);
      let kills = 0;
      let sendsAtKill = 0;
      for (let i = 0; i < KILLS; i++) {
        await sleep(250 + Math.floor(random() * 750));
        await server.stop("SIGKILL");
        kills++;
        sendsAtKill = receiver.requests.length;
        server = await startServe(serveEnv);
      }
      await sleep(300);
      const report = await load.stop();

      // Let the last receiver drain what the others left, then stop it.
      const store = await installation.open();
      let committed: string[];
      try {
        const deadline = Date.now() + 30_000;
        for (;;) {
          const status = await store.outbox().status();
          const backlog = status.find((s) => s.sink === "destination:hooks")?.backlog ?? -1;
          if (backlog === 0) break;
          assert.ok(Date.now() < deadline, `alerts drained: ${JSON.stringify(status)}`);
          await sleep(50);
        }
        committed = (await store.listEvents({})).map((e) => e.id).filter(isAlerting);
      } finally {
        await store.close();
      }
      assert.equal(await server.stop("SIGTERM"), 0, "the last receiver stops cleanly");
      server = undefined;

      // The destination side, as a Standard Webhooks receiver sees it: verify, then one per webhook-id.
      const verifier = new Webhook(HOOK_SECRET);
      const byId = new Map<string, { eventId: string; requests: number }>();
      for (const r of receiver.accepted) {
        verifier.verify(r.body, r.headers as Record<string, string>);
        const eventId = (JSON.parse(r.body) as { data: { eventId: string } }).data.eventId;
        const id = String(r.headers["webhook-id"]);
        const seen = byId.get(id);
        assert.ok(seen === undefined || seen.eventId === eventId, "one webhook-id is always the same alert");
        byId.set(id, { eventId, requests: (seen?.requests ?? 0) + 1 });
      }
      const alertsPerEvent = new Map<string, number>();
      for (const { eventId } of byId.values())
        alertsPerEvent.set(eventId, (alertsPerEvent.get(eventId) ?? 0) + 1);
      const lost = committed.filter((id) => !alertsPerEvent.has(id));
      const duplicated = [...alertsPerEvent.values()].filter((n) => n > 1).length;
      const unexpected = [...alertsPerEvent.keys()].filter((id) => !committed.includes(id));
      const resent = [...byId.values()].reduce((n, v) => n + v.requests - 1, 0);
      const notAcked = committed.filter((id) => report.acknowledged[id] === undefined).length;
      // The events bodies are a pure function of the id: check one alert per committed exception, nothing else.
      assert.ok(committed.every((id) => alertingEventBody(id).includes("port_strike_delay")));

      recordResult({
        case: "alerts crash",
        store: target.name,
        done: `load generator (6 workers, 30% redeliveries, every 4th id an exception) while \`portcall serve\` with a signed-webhook destination was SIGKILLed ${kills} times at random moments (seed ${SEED}) and restarted; counted at the destination`,
        deliveries: report.deliveries,
        acknowledged: committed.length,
        found: committed.length - lost.length,
        lost: lost.length,
        duplicated,
        crashes: kills,
        notes: `acknowledged/found here = committed exceptions (${notAcked} of them committed but unanswered) and those with an alert; ${byId.size} distinct webhook-ids from ${receiver.accepted.length} accepted requests: ${resent} resends of an id already received (a kill between the destination's 200 and portcall recording it), which the webhook-id lets the receiver drop; ${unexpected.length} alerts for events not committed`,
      });
      console.log(
        `alerts crash (${target.name}): ${kills} kills, ${committed.length} committed exceptions, ${byId.size} alerts, lost ${lost.length}, duplicated ${duplicated}, resent ${resent}, sends before last kill ${sendsAtKill}`,
      );
      assert.ok(committed.length > 0);
      assert.deepEqual(lost, [], "every committed exception alerted");
      assert.equal(duplicated, 0, "one alert (one webhook-id) per event");
      assert.deepEqual(unexpected, [], "no alert for an event that was not committed");
    });
  });
}
