import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parseConfigFile } from "../src/config/config-file.js";
import { configFileSchema } from "../src/config/config-file-schema.js";
import { LOGISTICS_SAMPLES_DIR, loadSamples, SAMPLES_DIR } from "../src/samples/samples.js";
import type { EventStore } from "../src/stores/store.js";
import { jsonOf, runCli } from "./helpers/cli.js";
import { startTestServer, TEST_SECRET, type TestServer } from "./helpers/http.js";
import { storeTargets, type TestStore } from "./helpers/stores.js";
import { tempDir } from "./helpers/temp.js";

const CONFIG = `sources:
  eu:
    api: freight
    secrets: ["eu-cli-secret"]
  fulfilment:
    api: logistics
    auth: token
    token_header: X-Flexport-Token
    token: "cli-token-1"
  warehouse:
    api: logistics
    auth: basic
    username: flexport
    password_file: warehouse.password
`;

const [sqlite] = await storeTargets();
const logisticsSamples = loadSamples(LOGISTICS_SAMPLES_DIR);

describe("portcall send --source and listings --source", () => {
  let installation: TestStore;
  let store: EventStore;
  let server: TestServer;
  let env: Record<string, string>;

  before(async () => {
    const dir = tempDir();
    const configFile = join(dir, "portcall.yaml");
    writeFileSync(configFile, CONFIG);
    writeFileSync(join(dir, "warehouse.password"), "cli pass\n");
    installation = await (sqlite?.create() ?? Promise.reject(new Error("no sqlite target")));
    store = await installation.open();
    await store.migrate();
    const sources = parseConfigFile(CONFIG, configFile, configFileSchema).sources;
    server = await startTestServer(store, {
      sources: {
        ...sources,
        warehouse: { api: "logistics", auth: "basic", username: "flexport", password: "cli pass" },
      },
    });
    env = {
      ...installation.env,
      PORTCALL_CONFIG: configFile,
      FLEXPORT_WEBHOOK_SECRET: TEST_SECRET,
      PORTCALL_DATA_DIR: dir,
    };
  });
  after(async () => {
    await server?.close();
    await store?.close();
    await installation?.destroy();
  });

  it("send --source <logistics token source> --sample → every Logistics sample stored under that source", async () => {
    const result = await runCli(
      ["send", `${server.webhookUrl}/fulfilment`, "--sample", "--source", "fulfilment"],
      env,
    );
    assert.equal(result.code, 0, result.stdout.toString() + result.stderr);
    const events = jsonOf<{ source_name: string; api: string }[]>(
      await runCli(["events", "--json", "--source", "fulfilment"], env),
    );
    assert.equal(events.length, logisticsSamples.length);
    assert.ok(events.every((e) => e.source_name === "fulfilment" && e.api === "logistics"));
  });

  it("send --source <basic source> --method PUT → duplicates of the same events (ids are per API)", async () => {
    const result = await runCli(
      ["send", `${server.webhookUrl}/warehouse`, "--sample", "--source", "warehouse", "--method", "PUT"],
      env,
    );
    assert.equal(result.code, 0, result.stdout.toString() + result.stderr);
    assert.match(result.stdout.toString(), /"status":"duplicate"/);
    assert.equal(
      jsonOf<unknown[]>(await runCli(["events", "--json", "--source", "warehouse"], env)).length,
      0,
    );
  });

  it("send --source <freight source> signs with that source's secret; the default secret would not do", async () => {
    const [first] = loadSamples(SAMPLES_DIR);
    assert.ok(first);
    const ok = await runCli(["send", `${server.webhookUrl}/eu`, first.path, "--source", "eu"], env);
    assert.equal(ok.code, 0, ok.stdout.toString());
    const refused = await runCli(["send", `${server.webhookUrl}/eu`, first.path], env);
    assert.equal(refused.code, 1);
    assert.match(refused.stdout.toString(), /401/);
    const events = jsonOf<{ id: string }[]>(await runCli(["events", "--json", "--source", "eu"], env));
    assert.equal(events.length, 1);
  });

  it("an unknown --source or a PUT to a freight source → a usage error naming the option", async () => {
    const unknown = await runCli(["send", server.webhookUrl, "--sample", "--source", "nope"], env);
    assert.notEqual(unknown.code, 0);
    assert.match(unknown.stderr, /--source: no source "nope"/);
    const put = await runCli(
      ["send", `${server.webhookUrl}/eu`, "--sample", "--source", "eu", "--method", "PUT"],
      env,
    );
    assert.notEqual(put.code, 0);
    assert.match(put.stderr, /--method: source "eu" accepts only POST/);
  });
});
