import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { SqliteStore } from "../../src/stores/sqlite/sqlite-store.js";
import { runCli } from "../helpers/cli.js";
import { eventBody, seededRandom, sha256, sleep } from "../helpers/events.js";
import { TEST_SECRET } from "../helpers/http.js";
import { freePort } from "../helpers/net.js";
import { type ServeProcess, startServe } from "../helpers/serve.js";
import { storeTargets, type TestStore } from "../helpers/stores.js";
import { startLoad } from "./support/load-process.js";
import { recordResult } from "./support/results.js";
import { checkStore } from "./support/verify.js";

const KILLS = 10;
const SEED = 7_0001;

for (const target of await storeTargets()) {
  describe(`crash: receiver SIGKILLed under load (${target.name})`, { skip: target.skip ?? false }, () => {
    let installation: TestStore | undefined;
    let server: ServeProcess | undefined;

    after(async () => {
      server?.child.kill("SIGKILL");
      await installation?.destroy();
    });

    it(`${KILLS} kill -9 and restarts → every 2xx stored byte-exact, one row per id, nothing corrupt`, async () => {
      installation = await target.create();
      const port = await freePort();
      const env = { ...installation.env, FLEXPORT_WEBHOOK_SECRET: TEST_SECRET, PORT: String(port) };
      server = await startServe(env);
      const load = startLoad({
        url: server.webhookUrl,
        secret: TEST_SECRET,
        firstId: 8_100_000,
        concurrency: 6,
        redeliveryRate: 0.3,
        maxDeliveries: 50_000,
        maxMs: 60_000,
        seed: SEED,
      });
      const random = seededRandom(SEED);
      let kills = 0;
      let worstRestartMs = 0;
      for (let i = 0; i < KILLS; i++) {
        await sleep(250 + Math.floor(random() * 750));
        await server.stop("SIGKILL");
        kills++;
        const started = Date.now();
        server = await startServe(env);
        worstRestartMs = Math.max(worstRestartMs, Date.now() - started);
      }
      await sleep(300);
      const report = await load.stop();
      assert.equal(await server.stop("SIGTERM"), 0, "the last receiver stops cleanly");
      server = undefined;

      const sent = new Set(report.sent);
      const acknowledged = new Map(Object.entries(report.acknowledged));
      const store = await installation.open();
      let check: Awaited<ReturnType<typeof checkStore>>;
      let integrity = "n/a";
      try {
        check = await checkStore(store, acknowledged, (id) => (sent.has(id) ? eventBody(id) : undefined));
        if (store instanceof SqliteStore) {
          integrity = String(store.database.pragma("integrity_check", { simple: true }));
        }
      } finally {
        await store.close();
      }

      // The CLI reads the same bytes back (`portcall event <id> --raw`).
      const sample = [...acknowledged.keys()].slice(0, 3);
      for (const id of sample) {
        const raw = await runCli(["event", id, "--raw"], installation.env);
        assert.equal(raw.code, 0, raw.stderr);
        assert.equal(sha256(raw.stdout), sha256(eventBody(id)), `event ${id} --raw is byte-exact`);
      }

      const acks = [...acknowledged.values()].reduce((a, b) => a + b, 0);
      recordResult({
        case: "crash",
        store: target.name,
        done: `load generator in another process (6 workers, 30% redeliveries) while \`portcall serve\` was SIGKILLed ${kills} times at random moments (seed ${SEED}) and restarted`,
        deliveries: report.deliveries,
        acknowledged: acknowledged.size,
        found: check.found,
        lost: check.lost.length,
        duplicated: check.duplicated,
        crashes: kills,
        notes: `acknowledged = distinct ids (${acks} 2xx with redeliveries); ${check.rows} rows, ${report.unanswered} deliveries unanswered (stored or absent), ${check.corrupt.length} corrupt rows, slowest restart ${worstRestartMs} ms${integrity === "n/a" ? "" : `, integrity_check ${integrity}`}`,
      });
      console.log(
        `crash (${target.name}): ${kills} kills, ${report.deliveries} deliveries, ${acks} 2xx (${acknowledged.size} ids), ` +
          `${check.rows} rows, lost ${check.lost.length}, corrupt ${check.corrupt.length}, unanswered ${report.unanswered}`,
      );
      assert.ok(kills >= 10);
      assert.ok(acknowledged.size > 0, "some deliveries were acknowledged");
      assert.ok(report.unanswered > 0, "some deliveries hit a dead receiver");
      assert.deepEqual(check.lost, [], "every acknowledged event is stored byte-exact");
      assert.deepEqual(check.corrupt, [], "no row is corrupt");
      assert.equal(check.duplicated, 0, "one row per id");
      assert.deepEqual(check.undercounted, [], "deliveries counts every acknowledged delivery");
      if (integrity !== "n/a") assert.equal(integrity, "ok");
    });
  });
}
