import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { openArchive } from "../src/archive/open-archive.js";
import { receive } from "../src/core/receive.js";
import { signBody } from "../src/core/signature.js";
import { createFunctionLog } from "../src/function/function-log.js";
import { createFunctionRecorder } from "../src/function/function-recorder.js";
import { type FakeGcsServer, startFakeGcsServer } from "./fakes/fake-gcs-server.js";
import { jsonOf, runCli } from "./helpers/cli.js";
import { makeEvent } from "./helpers/fixtures.js";
import { TEST_SECRET } from "./helpers/http.js";
import { tempDir } from "./helpers/temp.js";

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
const RECEIVED = new Date("2024-03-04T10:00:00.000Z");
const config = { secrets: [TEST_SECRET], acceptSha1: false, maxBodyBytes: 1 << 20 };

interface Listed {
  key: string;
  payload_sha256: string;
  reason: string;
  event_id: string | null;
  received_at: string;
}

/** Delivers through the function's sink (the archive only), as the function does. */
async function deliverTo(url: string, body: string) {
  const archive = await openArchive(url);
  const sink = createFunctionRecorder({
    archive,
    bigquery: undefined,
    log: createFunctionLog(() => undefined),
  });
  const bytes = Buffer.from(body);
  const signature = signBody(bytes, TEST_SECRET);
  return receive(
    bytes,
    { sha256: signature["x-hub-signature-256"], sha1: undefined },
    config,
    sink,
    RECEIVED,
  );
}

for (const kind of ["file", "gs"] as const) {
  describe(`function-mode rejects in a ${kind}: archive, listed and replayed by the CLI`, () => {
    let gcs: FakeGcsServer | undefined;
    let url: string;
    let env: Record<string, string>;
    let dir: string;

    before(async () => {
      dir = tempDir();
      if (kind === "gs") {
        gcs = await startFakeGcsServer();
        process.env.STORAGE_EMULATOR_HOST = gcs.url;
        url = "gs://flexport-raw/events";
        env = { STORAGE_EMULATOR_HOST: gcs.url };
      } else {
        url = `file:${join(dir, "archive")}`;
        env = {};
      }
      env.DATABASE_URL = `sqlite:${join(dir, "unused.db")}`;
    });
    after(async () => {
      delete process.env.STORAGE_EMULATOR_HOST;
      await gcs?.close();
    });

    const bad = '{"id": 1, "type": ';
    const noId = '{"_object":"/event","type":"/shipment#created"}';
    const first = makeEvent({ id: 9_100_001 });
    const conflicting = makeEvent({ id: 9_100_001, shipmentId: 77 });

    it("invalid JSON, an event without id and an id conflict are each kept, with the reason", async () => {
      assert.equal((await deliverTo(url, bad)).status, 400);
      assert.equal((await deliverTo(url, noId)).status, 400);
      assert.equal((await deliverTo(url, first)).status, 200);
      const conflict = await deliverTo(url, conflicting);
      assert.equal(conflict.status, 200);
      assert.equal(conflict.outcome, "conflict");
      // The same bad body again (a redelivery) is kept once.
      assert.equal((await deliverTo(url, bad)).status, 400);

      if (kind === "file") {
        const path = join(dir, "archive", "rejects", "dt=2024-03-04", `${sha256(bad)}.json`);
        assert.equal(readFileSync(path, "utf8"), bad);
        const meta = JSON.parse(readFileSync(`${path}.meta`, "utf8")) as Record<string, string>;
        assert.equal(meta.reason, "invalid_json");
        assert.equal(meta.received_at, RECEIVED.toISOString());
      } else {
        const object = gcs?.objects.get(`flexport-raw/events/rejects/dt=2024-03-04/${sha256(bad)}.json`);
        assert.equal(object?.bytes.toString(), bad);
        assert.equal(object?.metadata?.reason, "invalid_json");
      }

      const listed = jsonOf<Listed[]>(await runCli(["rejects", "--archive", url, "--json"], env));
      assert.deepEqual(
        listed.map((r) => [r.payload_sha256, r.reason, r.event_id]).sort(),
        [
          [sha256(bad), "invalid_json", null],
          [sha256(noId), "invalid_event", null],
          [sha256(conflicting), "id_conflict", "9100001"],
        ].sort(),
      );
      assert.ok(
        listed.every(
          (r) => r.key.startsWith("rejects/dt=2024-03-04/") && r.received_at === RECEIVED.toISOString(),
        ),
      );
    });

    it("--raw <sha256> prints the exact bytes; the event listing does not see rejects", async () => {
      const raw = await runCli(["rejects", "--archive", url, "--raw", sha256(noId)], env);
      assert.equal(raw.code, 0, raw.stderr);
      assert.equal(raw.stdout.toString(), noId);
      const archive = await openArchive(url);
      const keys: string[] = [];
      for await (const entry of archive.list({})) keys.push(entry.key);
      assert.deepEqual(keys, ["dt=2024-03-04/9100001.json"]);
    });

    it("--replay keeps a reject the parser now accepts as an event, and reports the others", async () => {
      // A body an older parser refused: kept as a reject, readable as an event today.
      const fixed = makeEvent({ id: 9_100_002 });
      const archive = await openArchive(url);
      await archive.putReject({
        reason: "invalid_event",
        detail: "refused by an older parser",
        receivedAt: RECEIVED.toISOString(),
        payload: Buffer.from(fixed),
        payloadSha256: sha256(fixed),
        eventId: null,
        signatureAlg: "sha256",
      });
      const result = await runCli(["rejects", "--archive", url, "--replay", "--json"], env);
      assert.equal(result.code, 0, result.stderr);
      const outcomes = jsonOf<{ key: string; outcome: string }[]>(result)
        .map((r) => [r.key.slice(-69, -5), r.outcome])
        .sort();
      assert.deepEqual(
        outcomes,
        [
          [sha256(bad), "still_invalid"],
          [sha256(noId), "still_invalid"],
          [sha256(conflicting), "conflict"],
          [sha256(fixed), "stored"],
        ].sort(),
      );
      const replayed = await archive.read("dt=2024-03-04/9100002.json");
      assert.equal(Buffer.from(replayed.payload).toString(), fixed);
      assert.equal(replayed.metadata?.receivedAt, RECEIVED.toISOString());
      if (kind === "file") assert.ok(existsSync(join(dir, "archive", "dt=2024-03-04", "9100002.json")));
    });
  });
}
