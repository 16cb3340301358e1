import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { after, before, test } from "node:test";
import { Webhook } from "standardwebhooks";
import { signBody } from "../../src/core/signature.js";
import { loadSamples } from "../../src/samples/samples.js";
import { BUNDLED_CLI, jsonOf, runCli } from "../helpers/cli.js";
import { TEST_SECRET } from "../helpers/http.js";
import { type RecordingReceiver, startRecordingReceiver } from "../helpers/recording-receiver.js";
import { type ServeProcess, startServe } from "../helpers/serve.js";
import { tempDir } from "../helpers/temp.js";
import { HOOK_SECRET } from "./support.js";

let receiver: RecordingReceiver;
let dir: string;
let env: Record<string, string>;

before(async () => {
  receiver = await startRecordingReceiver();
  dir = tempDir();
  writeFileSync(
    `${dir}/portcall.yaml`,
    `destinations:
  erp:
    type: webhook
    url: ${receiver.url}/erp
    secretEnv: ERP_SECRET
rules:
  - name: holds
    when: { condition: customs_hold }
    to: erp
  - name: forward-arrivals
    when: { types: "/shipment_leg#arrived" }
    send: event
    to: erp
`,
  );
  env = {
    DATABASE_URL: `sqlite:${dir}/portcall.db`,
    PORTCALL_CONFIG: `${dir}/portcall.yaml`,
    ERP_SECRET: HOOK_SECRET,
    PORTCALL_SLACK_WEBHOOK_URL: `${receiver.url}/slack/T0/B0/token`,
    PORTCALL_PUBLIC_URL: "https://portcall.example.test",
    FLEXPORT_WEBHOOK_SECRET: TEST_SECRET,
    PORTCALL_EXPORT_POLL_MS: "20",
  };
});
after(() => receiver.close());

async function waitFor(what: string, check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test("portcall destinations test erp → one signed test message; an unknown name → exit 2 naming the known ones", async () => {
  const sent = await runCli(["destinations", "test", "erp"], env);
  assert.equal(sent.code, 0, sent.stderr);
  const request = receiver.accepted.find((r) => r.path === "/erp");
  assert.ok(request);
  new Webhook(HOOK_SECRET).verify(request.body, request.headers as Record<string, string>);
  const unknown = await runCli(["destinations", "test", "pager"], env);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /no destination named pager \(known: erp, slack\)/);
  receiver.requests.length = 0;
  receiver.accepted.length = 0;
});

test("the bundled CLI (what npm start runs) → builds and signs with the webhook destination too", async () => {
  const sent = await runCli(["destinations", "test", "erp"], env, { cli: BUNDLED_CLI });
  assert.equal(sent.code, 0, sent.stderr);
  const request = receiver.accepted.find((r) => r.path === "/erp");
  assert.ok(request);
  new Webhook(HOOK_SECRET).verify(request.body, request.headers as Record<string, string>);
  receiver.requests.length = 0;
  receiver.accepted.length = 0;
});

test("serve with a config file and the Slack variable → alerts, forwards, status, dry-run and `portcall alerts`", async () => {
  let serve: ServeProcess | undefined;
  try {
    serve = await startServe(env);
    for (const sample of loadSamples()) {
      const response = await fetch(serve.webhookUrl, {
        method: "POST",
        headers: { "content-type": "application/json", ...signBody(sample.bytes, TEST_SECRET) },
        body: sample.bytes,
      });
      assert.equal(response.status, 200);
    }
    // Slack: the zero-config built-ins (hold, exception, ETA slip); erp: the hold and two forwarded arrivals.
    await waitFor("deliveries", () => receiver.accepted.length >= 6);
    const slack = receiver.accepted.filter((r) => r.path.startsWith("/slack"));
    assert.equal(slack.length, 3);
    const hold = JSON.parse(slack[0]?.body ?? "{}") as {
      text: string;
      blocks: { type: string; elements?: { url?: string }[] }[];
    };
    assert.match(hold.text, /Customs hold/);
    assert.equal(
      hold.blocks
        .find((b) => b.type === "actions")
        ?.elements?.[0]?.url?.startsWith("https://portcall.example.test/ui/shipments/"),
      true,
    );
    const erp = receiver.accepted.filter((r) => r.path === "/erp");
    const arrivals = loadSamples()
      .filter((s) => s.name.includes("leg-arrived"))
      .map((s) => s.bytes.toString("utf8"));
    assert.deepEqual(
      erp.filter((r) => !r.body.includes('"portcall.alert"')).map((r) => r.body),
      arrivals,
    );

    const metrics = await (await fetch(`${serve.url}/metrics`)).text();
    assert.match(metrics, /portcall_export_backlog\{sink="destination:slack"\} 0/);
    assert.match(metrics, /portcall_alerts_sent_total\{destination="erp",rule="holds"\} 1/);
  } finally {
    await serve?.stop();
  }

  const status = jsonOf<{ sink: string; backlog: number; deadLetters: number }[]>(
    await runCli(["status", "--json"], env),
  );
  assert.deepEqual(
    status.map((s) => [s.sink, s.backlog, s.deadLetters]),
    [
      ["destination:erp", 0, 0],
      ["destination:slack", 0, 0],
    ],
  );
  const listed = jsonOf<{ destination: string; rule: string; status: string }[]>(
    await runCli(["alerts", "--json"], env),
  );
  assert.equal(listed.length, 6);
  assert.ok(listed.every((a) => a.status === "sent"));

  const holdId = (
    JSON.parse(
      loadSamples()
        .find((s) => s.name.includes("document-required"))
        ?.bytes.toString() ?? "{}",
    ) as { id: number }
  ).id;
  const dry = jsonOf<{ rules: { rule: string; fires: boolean; to: string[] }[] }>(
    await runCli(["alerts", "dry-run", String(holdId), "--json"], env),
  );
  assert.deepEqual(
    dry.rules.filter((r) => r.fires).map((r) => [r.rule, r.to]),
    [
      ["holds", ["erp"]],
      ["customs-holds", ["slack"]],
    ],
  );
});

test("a config file with a mistake → exit 2, naming file, line and field", async () => {
  writeFileSync(`${dir}/bad.yaml`, "rules:\n  - name: holds\n    to: erp\n    when: { condition: hold }\n");
  const result = await runCli(["alerts", "dry-run", "1"], { ...env, PORTCALL_CONFIG: `${dir}/bad.yaml` });
  assert.equal(result.code, 2);
  assert.match(result.stderr, /bad\.yaml:4:\d+ rules\.0\.when\.condition: /);
});
