import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { BackfillSummary } from "../src/backfill/backfill.js";
import {
  BIG_EVENT_ID,
  type FakeFlexportApi,
  fakeApiEvents,
  startFakeFlexportApi,
} from "./fakes/fake-flexport-api.js";
import { jsonOf, runCli } from "./helpers/cli.js";
import { tempDir } from "./helpers/temp.js";

const TOKEN = "cli-test-api-key";

// The command itself (options, env, output, exit codes); the store matrix is in backfill.test.ts.
describe("portcall backfill (CLI, SQLite)", () => {
  let api: FakeFlexportApi;
  const events = fakeApiEvents();
  const dir = tempDir();
  const env = {
    PORTCALL_DATA_DIR: `${dir}/data`,
    FLEXPORT_API_URL: "",
    FLEXPORT_API_TOKEN: TOKEN,
  };

  before(async () => {
    api = await startFakeFlexportApi({ events, pageSize: 5, apiToken: TOKEN });
    env.FLEXPORT_API_URL = api.url;
  });

  after(async () => {
    await api?.close();
  });

  it("--dry-run on an empty database → every event would be inserted, exit 0, nothing stored", async () => {
    const result = await runCli(["backfill", "--since", "2024-01-01", "--dry-run"], env);
    assert.equal(result.code, 0, result.stderr);
    const out = result.stdout.toString();
    assert.match(out, /^dry run: nothing written/);
    assert.match(
      out,
      new RegExp(
        `fetched ${events.length} events in 3 pages: 0 already stored, ${events.length} would insert`,
      ),
    );
    assert.match(out, new RegExp(BIG_EVENT_ID));
    assert.match(result.stderr, /backfill: page 3: /, "progress on stderr");
    const stored = await runCli(["events", "--json"], env);
    assert.deepEqual(jsonOf(stored), []);
  });

  it("backfill --json → summary for scripts; events then listed with source backfill", async () => {
    const result = await runCli(["backfill", "--since", "2024-01-01", "--json"], env);
    assert.equal(result.code, 0, result.stderr);
    const summary = jsonOf<BackfillSummary>(result);
    assert.equal(summary.missing, events.length);
    assert.equal(summary.dry_run, false);
    const stored = jsonOf<{ id: string; source: string }[]>(await runCli(["events", "--json"], env));
    assert.equal(stored.length, events.length);
    assert.ok(stored.every((e) => e.source === "backfill"));
  });

  it("run again → 0 inserted", async () => {
    const result = await runCli(["backfill", "--since", "2024-01-01"], env);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout.toString(), new RegExp(`${events.length} already stored, 0 inserted`));
  });

  it("no credentials → exit 2 naming FLEXPORT_API_TOKEN", async () => {
    const result = await runCli(["backfill", "--since", "2024-01-01"], { ...env, FLEXPORT_API_TOKEN: "" });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /FLEXPORT_API_TOKEN: is required/);
  });

  it("--until before --since → exit 2", async () => {
    const result = await runCli(["backfill", "--since", "2024-03-01", "--until", "2024-02-01"], env);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--until .* is before --since/);
  });

  it("--until as a date → the whole day, as replay reads it", async () => {
    const result = await runCli(
      ["backfill", "--since", "2024-03-01", "--until", "2024-03-03", "--dry-run", "--json"],
      { ...env, PORTCALL_DATA_DIR: tempDir() },
    );
    assert.equal(result.code, 0, result.stderr);
    const summary = jsonOf<BackfillSummary>(result);
    assert.equal(summary.query.until, "2024-03-03T23:59:59.999Z");
    assert.deepEqual(
      summary.missing_events.map((e) => e.occurred_at),
      ["2024-03-01T09:30:00.000Z", "2024-03-02T09:30:00.000Z", "2024-03-03T09:30:00.000Z"],
    );
  });

  it("--help → every option's default is stated", async () => {
    const help = async (command: string) =>
      (await runCli([command, "--help"], env)).stdout.toString().replace(/\s+/g, " ");
    const backfill = await help("backfill");
    // Within one option's text: never across the next "--option".
    const same = "(?:(?! --[a-z]).)*";
    assert.match(
      backfill,
      new RegExp(`--until <date>${same}the whole day${same}\\(default: no upper bound\\)`),
    );
    assert.match(backfill, new RegExp(`--type <type>${same}\\(default: every type\\)`));
    const replay = await help("replay");
    assert.match(replay, new RegExp(`--since <date>${same}\\(default: no lower bound\\)`));
    assert.match(
      replay,
      new RegExp(`--until <date>${same}the whole day${same}\\(default: no upper bound\\)`),
    );
  });

  it("--since missing → usage error", async () => {
    const result = await runCli(["backfill"], env);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /--since/);
  });
});
