import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Webhook } from "standardwebhooks";
import { alertMessage } from "../../src/alerts/alert-message.js";
import { eventFacts } from "../../src/alerts/event-facts.js";
import type { Destination, Outgoing } from "../../src/destinations/destination.js";
import { openDestination } from "../../src/destinations/open-destination.js";
import { loadSamples } from "../../src/samples/samples.js";
import {
  type RecordingReceiver,
  startRecordingReceiver,
  startSmtpReceiver,
} from "../helpers/recording-receiver.js";

const WEBHOOK_SECRET = `whsec_${Buffer.from("portcall-test-webhook-secret-32bytes!").toString("base64")}`;
const SMTP = { user: "alerts@example.test", pass: "smtp-password-not-logged" };

/** A hold on one of the samples, as the rules would make it. */
function outgoing(id = "pc_conformance_1", forward = false): Outgoing {
  const sample = loadSamples().find((s) => s.name.includes("document-required"));
  assert.ok(sample);
  const payload = sample.bytes.toString("utf8");
  const parsed = JSON.parse(payload) as { id: number; type: string };
  const facts = eventFacts({ id: String(parsed.id), type: parsed.type, payload });
  const message = alertMessage(
    id,
    {
      rule: "customs-holds",
      subject: facts.id,
      send: "alert",
      to: ["x"],
      condition: "customs_hold",
      details: [],
    },
    facts,
    "https://portcall.example.test",
  );
  return {
    id,
    timestamp: new Date(),
    message,
    event: forward ? { id: facts.id, type: facts.type, payload } : undefined,
  };
}

interface Harness {
  readonly kind: string;
  open(): Promise<Destination>;
  /** What the receiving side got, one text per accepted message (it has checked auth/signature). */
  received(): string[];
  /** Makes the receiving side refuse everything. */
  breakIt(): void;
  close(): Promise<void>;
}

async function slackHarness(): Promise<Harness> {
  const receiver = await startRecordingReceiver();
  return {
    kind: "slack",
    open: () =>
      openDestination({
        name: "ops",
        type: "slack",
        url: `${receiver.url}/services/T000/B000/secret-token`,
        maxAttempts: 3,
      }),
    received: () =>
      receiver.accepted.map((r) => {
        const body = JSON.parse(r.body) as { text: string; blocks: unknown[] };
        assert.equal(typeof body.text, "string");
        assert.ok(Array.isArray(body.blocks) && body.blocks.length > 0, "Slack body has blocks");
        return r.body;
      }),
    breakIt: () => {
      receiver.answer = () => 404;
    },
    close: () => receiver.close(),
  };
}

async function webhookHarness(): Promise<Harness> {
  const receiver: RecordingReceiver = await startRecordingReceiver();
  const verifier = new Webhook(WEBHOOK_SECRET);
  return {
    kind: "webhook",
    open: () =>
      openDestination({
        name: "erp",
        type: "webhook",
        url: `${receiver.url}/hooks`,
        secret: WEBHOOK_SECRET,
        maxAttempts: 3,
      }),
    received: () =>
      receiver.accepted.map((r) => {
        // Verified with the Standard Webhooks reference library, not code of ours.
        verifier.verify(r.body, r.headers as Record<string, string>);
        return r.body;
      }),
    breakIt: () => {
      receiver.answer = () => 503;
    },
    close: () => receiver.close(),
  };
}

async function emailHarness(): Promise<Harness> {
  const smtp = await startSmtpReceiver(SMTP);
  let password = SMTP.pass;
  return {
    kind: "email",
    open: () =>
      openDestination({
        name: "mail",
        type: "email",
        host: "127.0.0.1",
        port: smtp.port,
        secure: false,
        requireTls: true,
        allowSelfSigned: true,
        user: SMTP.user,
        password,
        from: "portcall <alerts@example.test>",
        to: ["ops@example.test"],
        maxAttempts: 3,
      }),
    received: () =>
      smtp.mails.map((m) => {
        assert.equal(m.secure, true, "the mail went over STARTTLS");
        assert.equal(m.user, SMTP.user, "the client authenticated");
        assert.deepEqual(m.to, ["ops@example.test"]);
        return m.raw.replace(/=\r?\n/g, "");
      }),
    breakIt: () => {
      password = "wrong-password";
    },
    close: () => smtp.close(),
  };
}

for (const make of [slackHarness, webhookHarness, emailHarness]) {
  describe(`destination conformance: ${make.name.replace("Harness", "")}`, () => {
    let harness: Harness;
    before(async () => {
      harness = await make();
    });
    after(() => harness.close());

    test("send → the receiving side gets one message naming the shipment, milestone, place and link", async () => {
      const destination = await harness.open();
      try {
        await destination.send(outgoing());
      } finally {
        await destination.close();
      }
      const received = harness.received();
      assert.equal(received.length, 1);
      const text = received[0] ?? "";
      const message = outgoing().message;
      assert.ok(message.shipmentName !== null && message.shipmentId !== null);
      assert.ok(text.includes(message.shipmentName), "names the shipment");
      assert.ok(text.includes(message.shipmentId), "gives the shipment id");
      assert.match(text, /documents required/i);
      assert.match(text, /ui\/shipments\//);
      assert.ok(!destination.target.includes("secret-token"), "the target shown hides the URL's token");
    });

    test("a refused send → DestinationError naming the destination's answer, with no secret in it", async () => {
      harness.breakIt();
      const destination = await harness.open();
      try {
        await assert.rejects(destination.send(outgoing("pc_conformance_2")), (error: Error) => {
          assert.equal(error.name, "DestinationError");
          assert.ok(!error.message.includes("secret-token"));
          assert.ok(!error.message.includes(SMTP.pass));
          assert.ok(!error.message.includes("wrong-password"));
          return true;
        });
      } finally {
        await destination.close();
      }
    });
  });
}

test("webhook forwarding → the exact event bytes, signed, with the alert id as webhook-id", async () => {
  const receiver = await startRecordingReceiver();
  try {
    const destination = await openDestination({
      name: "erp",
      type: "webhook",
      url: receiver.url,
      secret: WEBHOOK_SECRET,
      maxAttempts: 3,
    });
    const out = outgoing("pc_forward_1", true);
    await destination.send(out);
    const [request] = receiver.accepted;
    assert.ok(request);
    assert.equal(request.body, out.event?.payload);
    assert.equal(request.headers["webhook-id"], "pc_forward_1");
    assert.match(String(request.headers["webhook-signature"]), /^v1,[A-Za-z0-9+/=]+$/);
    new Webhook(WEBHOOK_SECRET).verify(request.body, request.headers as Record<string, string>);
  } finally {
    await receiver.close();
  }
});
