import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { verifiedEvent } from "../src/core/verified-event.js";
import { loadSamples } from "../src/samples/samples.js";
import type { EtaHistoryRow } from "../src/stores/reports.js";
import { jsonOf, runCli } from "./helpers/cli.js";
import { storeTargets, type TestStore } from "./helpers/stores.js";

// `portcall eta <id>`: the flexport_eta_history view from the command line, so the
// dashboard's chart is not the only way to see how a promise moved.

for (const target of await storeTargets()) {
  describe(`portcall eta on ${target.name}`, { skip: target.skip ?? false }, () => {
    let installation: TestStore;

    before(async () => {
      installation = await target.create();
      const store = await installation.open();
      try {
        await store.migrate();
        for (const sample of loadSamples()) {
          const result = verifiedEvent(sample.bytes, "sha256", "webhook");
          if (!result.ok) throw new Error(result.message);
          await store.insertIfAbsent(result.event, new Date());
        }
      } finally {
        await store.close();
      }
    });

    after(async () => {
      await installation?.destroy();
    });

    it("eta <id> --json → one row per announced estimate, with the slip against the previous one", async () => {
      const result = await runCli(["eta", "2742917", "--json"], installation.env);
      assert.equal(result.code, 0, result.stderr.toString());
      const rows = jsonOf<EtaHistoryRow[]>(result);
      const arrival = rows.filter((r) => r.kind === "arrival");
      assert.deepEqual(
        arrival.map((r) => [r.event_id, r.estimated, r.slip_seconds]),
        [
          ["7118015", "2024-10-24T06:00:00.000+02:00", null],
          ["7185619", "2024-10-28T14:00:00.000+01:00", (4 * 24 + 9) * 3600],
        ],
      );
      assert.equal(Date.parse(arrival[1]?.estimated_at ?? ""), Date.parse("2024-10-28T13:00:00.000Z"));
    });

    it("eta <id> → a table for people; an unknown shipment → exit 2, says so", async () => {
      const table = await runCli(["eta", "2714306"], installation.env);
      assert.equal(table.code, 0, table.stderr.toString());
      const out = table.stdout.toString();
      assert.match(out, /^KIND\s+ANNOUNCED AT\s+ESTIMATE\s+CHANGE\s+ACTUAL\s+EVENT/);
      assert.match(out, /arrival\s+\S+\s+2024-09-28T06:00:00.000-07:00\s+first\s+-\s+7126582 Departed/);
      const missing = await runCli(["eta", "404"], installation.env);
      assert.equal(missing.code, 2);
      assert.match(missing.stderr.toString(), /no estimates stored for shipment 404/);
    });
  });
}
