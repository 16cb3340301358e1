import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { signBody } from "../../src/core/signature.js";
import { eventBody, sleep } from "../helpers/events.js";
import { TEST_SECRET } from "../helpers/http.js";
import { type ServeProcess, startServe } from "../helpers/serve.js";
import { storeTargets, type TestStore } from "../helpers/stores.js";
import { startLoad } from "./support/load-process.js";
import { startPartialPost } from "./support/raw-http.js";
import { recordResult } from "./support/results.js";
import { checkStore } from "./support/verify.js";

const IN_FLIGHT = 12;

for (const target of await storeTargets()) {
  describe(`shutdown: SIGTERM under load (${target.name})`, { skip: target.skip ?? false }, () => {
    let installation: TestStore | undefined;
    let server: ServeProcess | undefined;

    after(async () => {
      await server?.stop("SIGKILL");
      await installation?.destroy();
    });

    it(`SIGTERM with ${IN_FLIGHT} requests mid-body and a load running → each in-flight request answered 200, exit 0, nothing acknowledged lost`, async () => {
      installation = await target.create();
      server = await startServe({
        ...installation.env,
        FLEXPORT_WEBHOOK_SECRET: TEST_SECRET,
        PORTCALL_SHUTDOWN_TIMEOUT_MS: "10000",
      });
      const load = startLoad({
        url: server.webhookUrl,
        secret: TEST_SECRET,
        firstId: 8_700_000,
        concurrency: 4,
        redeliveryRate: 0.2,
        maxDeliveries: 20_000,
        maxMs: 20_000,
        seed: 99,
      });
      await sleep(700);
      const inFlight = Array.from({ length: IN_FLIGHT }, (_, i) => {
        const id = String(8_790_000 + i);
        const body = Buffer.from(eventBody(id), "utf8");
        return {
          id,
          body,
          request: startPartialPost(server?.webhookUrl ?? "", body, signBody(body, TEST_SECRET), 40),
        };
      });
      await sleep(200); // the headers have arrived: these requests are in flight
      const session = server;
      const exited = new Promise<number | null>((resolve) =>
        session.child.once("exit", (code) => resolve(code)),
      );
      const signalledAt = Date.now();
      session.child.kill("SIGTERM");
      await sleep(300);
      for (const f of inFlight) f.request.finish();
      const answers = await Promise.all(inFlight.map((f) => f.request.answer));
      const exitCode = await exited;
      const shutdownMs = Date.now() - signalledAt;
      server = undefined;
      const report = await load.stop();

      const acknowledged = new Map(Object.entries(report.acknowledged));
      for (const [i, answer] of answers.entries()) {
        if (answer.status === 200)
          acknowledged.set(inFlight[i]?.id ?? "", (acknowledged.get(inFlight[i]?.id ?? "") ?? 0) + 1);
      }
      const bodies = new Map(inFlight.map((f) => [f.id, f.body.toString("utf8")]));
      const sent = new Set(report.sent);
      const store = await installation.open();
      let check: Awaited<ReturnType<typeof checkStore>>;
      try {
        check = await checkStore(
          store,
          acknowledged,
          (id) => bodies.get(id) ?? (sent.has(id) ? eventBody(id) : undefined),
        );
      } finally {
        await store.close();
      }
      const answered = answers.filter((a) => a.status === 200).length;
      recordResult({
        case: "shutdown",
        store: target.name,
        done: `load generator in another process (4 workers) plus ${IN_FLIGHT} requests with half-sent bodies; SIGTERM; the bodies completed 300 ms later`,
        deliveries: report.deliveries + IN_FLIGHT,
        acknowledged: acknowledged.size,
        found: check.found,
        lost: check.lost.length,
        duplicated: check.duplicated,
        crashes: 0,
        notes: `acknowledged = distinct ids (${[...acknowledged.values()].reduce((a, b) => a + b, 0)} 2xx with redeliveries); ${answered}/${IN_FLIGHT} in-flight requests answered 200 after SIGTERM; exit code ${exitCode} after ${shutdownMs} ms; ${report.unanswered} load deliveries refused after the listener closed`,
      });
      assert.deepEqual(
        answers.map((a) => a.status ?? a.error),
        inFlight.map(() => 200),
        "every in-flight request got its answer",
      );
      assert.equal(exitCode, 0, "a clean exit");
      assert.deepEqual(check.lost, [], "nothing acknowledged is lost");
      assert.deepEqual(check.corrupt, []);
      assert.equal(check.duplicated, 0);
    });
  });
}
