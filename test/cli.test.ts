import assert from "node:assert/strict";
import { statSync, writeFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { loadSamples } from "../src/samples/samples.js";
import { jsonOf, runCli } from "./helpers/cli.js";
import { TEST_SECRET } from "./helpers/http.js";
import { type ServeProcess, startServe } from "./helpers/serve.js";
import { storeTargets, type TestStore } from "./helpers/stores.js";
import { tempDir } from "./helpers/temp.js";

const samples = loadSamples();
const sampleIds = samples.map((s) => String((JSON.parse(s.bytes.toString()) as { id: number }).id));

// The CLI and the serve process, against every store: the same commands, the same answers.
for (const target of await storeTargets()) {
  describe(`portcall CLI on ${target.name}`, { skip: target.skip ?? false }, () => {
    let installation: TestStore;
    let env: Record<string, string>;
    let server: ServeProcess;
    const dir = tempDir();

    before(async () => {
      installation = await target.create();
      env = { ...installation.env, FLEXPORT_WEBHOOK_SECRET: TEST_SECRET, PORTCALL_DATA_DIR: `${dir}/data` };
      server = await startServe(env);
    });

    after(async () => {
      if (server) assert.equal(await server.stop(), 0, "serve exits 0 on SIGTERM");
      await installation?.destroy();
    });

    it("send --sample → every sample stored (200), exit 0", async () => {
      const result = await runCli(["send", "--sample", server.webhookUrl], env);
      assert.equal(result.code, 0, result.stderr);
      const out = result.stdout.toString();
      assert.equal(out.match(/: 200 \{"status":"stored"/g)?.length, samples.length);
      assert.match(out, new RegExp(`${samples.length} of ${samples.length} accepted`));
    });

    it("send --sample again → 200 duplicate for each", async () => {
      const result = await runCli(["send", "--sample", server.webhookUrl], env);
      assert.equal(result.code, 0);
      assert.equal(result.stdout.toString().match(/"status":"duplicate"/g)?.length, samples.length);
    });

    it("events --json → every sample with the documented fields, deliveries 2", async () => {
      const result = await runCli(["events", "--json"], env);
      assert.equal(result.code, 0, result.stderr);
      const events = jsonOf<Record<string, unknown>[]>(result);
      assert.deepEqual(events.map((e) => e.id).sort(), [...sampleIds].sort());
      for (const event of events) {
        assert.deepEqual(Object.keys(event).sort(), [
          "api",
          "created_at",
          "deliveries",
          "id",
          "last_received_at",
          "occurred_at",
          "payload_sha256",
          "received_at",
          "signature_alg",
          "source",
          "source_name",
          "type",
        ]);
        assert.equal(event.deliveries, 2);
        assert.equal(event.signature_alg, "sha256");
      }
    });

    it("event <id> --raw → exactly the bytes sent", async () => {
      for (const [i, sample] of samples.entries()) {
        const result = await runCli(["event", sampleIds[i] ?? "", "--raw"], env);
        assert.equal(result.code, 0, result.stderr);
        assert.ok(result.stdout.equals(sample.bytes), `${sample.name} round-trips byte-exact`);
      }
    });

    it("event <id> --json → summary and parsed payload as JSON", async () => {
      const result = await runCli(["event", sampleIds[0] ?? "", "--json"], env);
      const event = jsonOf<{ id: string; payload: { id: number } }>(result);
      assert.equal(event.id, sampleIds[0]);
      assert.equal(String(event.payload.id), sampleIds[0]);
    });

    it("events --type T --limit 1 → one event of that type; table output for people", async () => {
      const type = (JSON.parse(samples[0]?.bytes.toString() ?? "{}") as { type: string }).type;
      const filtered = jsonOf<{ type: string }[]>(
        await runCli(["events", "--type", type, "--limit", "1", "--json"], env),
      );
      assert.equal(filtered.length, 1);
      assert.equal(filtered[0]?.type, type);
      const table = (await runCli(["events"], env)).stdout.toString();
      assert.match(table, /^ID\s+TYPE\s+OCCURRED AT/);
      assert.ok(sampleIds.every((id) => table.includes(id)));
    });

    it("events --since in the future → empty list", async () => {
      const events = jsonOf<unknown[]>(await runCli(["events", "--since", "2999-01-01", "--json"], env));
      assert.deepEqual(events, []);
    });

    it("send <file> with a signed non-event → 400, shown by rejects --json and rejects --raw", async () => {
      const file = `${dir}/not-an-event.json`;
      writeFileSync(file, '{"hello":"world"}');
      const sent = await runCli(["send", server.webhookUrl, file], env);
      assert.equal(sent.code, 1, "a non-2xx answer makes send exit 1");
      assert.match(sent.stdout.toString(), /400 \{"error":"invalid_event"/);
      const rejects = jsonOf<{ reason: string; payload_sha256: string; bytes: number }[]>(
        await runCli(["rejects", "--json"], env),
      );
      assert.equal(rejects.length, 1);
      assert.equal(rejects[0]?.reason, "invalid_event");
      assert.equal(rejects[0]?.bytes, 17);
      const raw = await runCli(["rejects", "--raw", rejects[0]?.payload_sha256 ?? ""], env);
      assert.equal(raw.stdout.toString(), '{"hello":"world"}');
    });

    it("migrate → every migration already applied", async () => {
      const result = await runCli(["migrate"], env);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout.toString(), /already applied/);
      assert.doesNotMatch(result.stdout.toString(), /applied now/);
    });

    it("the serve process records commit metrics and logs one line per delivery", async () => {
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      assert.match(metrics, /portcall_commit_duration_seconds_count\{result="ok"\} [1-9]\d*/);
      assert.match(metrics, /process_resident_memory_bytes/);
      const deliveries = server.logs
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .filter((l) => l.msg === "delivery");
      assert.ok(deliveries.length >= samples.length * 2);
      for (const line of deliveries) {
        assert.ok(["stored", "duplicate", "quarantined"].includes(String(line.outcome)));
        assert.equal(typeof line.ms, "number");
      }
    });
  });
}

describe("portcall CLI usage", () => {
  const env = { DATABASE_URL: `sqlite:${tempDir()}/cli.db` };

  it("--help on every command → exit 0 with a usage line", async () => {
    for (const command of ["serve", "migrate", "events", "event", "send", "rejects"]) {
      const result = await runCli([command, "--help"], env);
      assert.equal(result.code, 0, command);
      assert.match(result.stdout.toString(), new RegExp(`Usage: portcall ${command}`));
    }
  });

  it("bad option values → exit 2 naming the option", async () => {
    const since = await runCli(["events", "--since", "last tuesday"], env);
    assert.equal(since.code, 2);
    assert.match(since.stderr, /--since: "last tuesday" is not an ISO-8601 date/);
    const limit = await runCli(["events", "--limit", "-3"], env);
    assert.equal(limit.code, 2);
    assert.match(limit.stderr, /--limit/);
  });

  it("unknown event id → exit 2 with a clear message", async () => {
    assert.equal((await runCli(["migrate"], env)).code, 0);
    const result = await runCli(["event", "42"], env);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /no event with id 42/);
  });

  it("invalid configuration → exit 2 naming the variable, no stack trace", async () => {
    const result = await runCli(["events"], { ...env, PORTCALL_MAX_BODY_BYTES: "lots", PORT: "99999" });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /PORTCALL_MAX_BODY_BYTES: must be a whole number/);
    assert.match(result.stderr, /PORT: must be at most 65535/);
    assert.doesNotMatch(result.stderr, /\n\s+at /);
    const url = await runCli(["events"], { DATABASE_URL: "mysql://x" });
    assert.equal(url.code, 2);
    assert.match(url.stderr, /DATABASE_URL: unsupported scheme/);
  });
});

describe("first start with no secret configured", () => {
  it("serve generates a 0600 secret in the data folder, tells where, and send uses it", async () => {
    const cwd = tempDir();
    const server = await startServe({}, { cwd });
    try {
      const secretFile = `${cwd}/data/webhook-secret`;
      assert.equal(statSync(secretFile).mode & 0o777, 0o600);
      assert.match(
        server.stderr.join(""),
        /generated one and saved it \(mode 0600\) at\n\s+.*data\/webhook-secret/,
      );
      const unsigned = await fetch(server.webhookUrl, { method: "POST", body: samples[0]?.bytes ?? null });
      assert.equal(unsigned.status, 401, "never accepts unsigned input");
      const sent = await runCli(["send", "--sample", server.webhookUrl], {}, { cwd });
      assert.equal(sent.code, 0, sent.stdout.toString() + sent.stderr);
      const events = jsonOf<unknown[]>(await runCli(["events", "--json"], {}, { cwd }));
      assert.equal(events.length, samples.length);
    } finally {
      await server.stop();
    }
    const restarted = await startServe({}, { cwd });
    await restarted.stop();
    assert.doesNotMatch(restarted.stderr.join(""), /generated/, "the secret is generated once, then reused");
  });
});
