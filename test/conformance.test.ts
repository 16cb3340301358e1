import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, it } from "node:test";
import { parseEnvelope } from "../src/core/envelope.js";
import { loadSamples } from "../src/samples/samples.js";
import { conformanceCorpus } from "./helpers/fixtures.js";
import { deliver, receiverUnderTest } from "./helpers/http.js";
import { sqlRows, storeTargets } from "./helpers/stores.js";

const sha256 = (data: Uint8Array) => createHash("sha256").update(data).digest("hex");
const corpus = conformanceCorpus();

interface Case {
  readonly name: string;
  readonly bytes: Buffer;
  readonly id: string;
  readonly type: string;
  readonly occurredAt: string | null;
  readonly sha256?: string;
}

const sampleCases: Case[] = loadSamples().map((s) => {
  const parsed = JSON.parse(s.bytes.toString("utf8")) as { id: number; type: string; occurred_at?: string };
  return {
    name: `sample ${s.name}`,
    bytes: s.bytes,
    id: String(parsed.id),
    type: parsed.type,
    occurredAt: parsed.occurred_at ?? null,
  };
});
const corpusCases: Case[] = (corpus?.entries ?? []).map((e) => ({
  name: e.file,
  bytes: corpus?.read(e.file) ?? Buffer.alloc(0),
  id: e.id_str,
  type: e.type,
  occurredAt: e.occurred_at,
  sha256: e.sha256,
}));

describe("conformance of the cores envelope parsing", () => {
  for (const c of [...sampleCases, ...corpusCases]) {
    it(`${c.name} → id ${c.id}, type ${c.type}`, () => {
      if (c.sha256 !== undefined) assert.equal(sha256(c.bytes), c.sha256, "corpus file intact");
      const parsed = parseEnvelope(c.bytes);
      assert.ok(parsed.ok);
      assert.equal(parsed.envelope.id, c.id);
      assert.equal(parsed.envelope.type, c.type);
      assert.equal(
        parsed.envelope.occurredAt,
        c.occurredAt === null ? null : new Date(c.occurredAt).toISOString(),
      );
    });
  }
});

for (const target of await storeTargets()) {
  describe(`conformance corpus and samples delivered to ${target.name}`, {
    skip: target.skip ?? false,
  }, () => {
    const rig = receiverUnderTest(target);

    it(`the project's ${sampleCases.length} samples → stored byte-exact, then duplicate`, async () => {
      await deliverAll(sampleCases);
    });

    it(`the external corpus (${corpusCases.length} events) → stored byte-exact, then duplicate`, {
      skip: corpus ? false : "external Flexport conformance corpus not present",
    }, async () => {
      await deliverAll(corpusCases);
    });

    it("multi-byte, \\u0000 and lone-surrogate bodies in one batch → each stored byte-exact", async () => {
      const bodies = [
        '{"id":7300001,"type":"/shipment#note","note":"Café 中文 🚢 \u2028 \\"quoted\\""}',
        '{"id":7300002,"type":"/shipment#note","note":"nul \\u0000 escaped"}',
        '{"id":7300003,"type":"/shipment#note","note":"lone \\ud800 surrogate"}',
        '{"id":7300004,"type":"/shipment#note","note":"plain"}',
      ];
      // Concurrent, so they share a group commit.
      const responses = await Promise.all(bodies.map((b) => deliver(rig.server.webhookUrl, Buffer.from(b))));
      for (const r of responses) assert.equal(r.status, 200);
      for (const [i, body] of bodies.entries()) {
        assert.equal((await rig.store.getEvent(String(7300001 + i)))?.payload, body);
      }
      if (target.name === "postgres") {
        // jsonb cannot hold \u0000 or a lone surrogate: the text is kept, its jsonb copy is NULL.
        const rows = await sqlRows<{ id: string; has_json: boolean }>(
          rig.store,
          "SELECT id, payload_json IS NOT NULL AS has_json FROM flexport_events WHERE id LIKE '73000%' ORDER BY id",
        );
        assert.deepEqual(
          rows.map((r) => r.has_json),
          [true, false, false, true],
        );
      }
    });

    async function deliverAll(cases: Case[]): Promise<void> {
      // In delivery order, as Flexport would send them; then all again, concurrently.
      for (const c of cases) {
        const response = await deliver(rig.server.webhookUrl, c.bytes);
        assert.equal(response.status, 200, c.name);
        assert.deepEqual(response.json, { status: "stored", id: c.id }, c.name);
      }
      const again = await Promise.all(cases.map((c) => deliver(rig.server.webhookUrl, c.bytes)));
      for (const [i, r] of again.entries())
        assert.deepEqual(r.json, { status: "duplicate", id: cases[i]?.id });
      for (const c of cases) {
        const row = await rig.store.getEvent(c.id);
        assert.ok(row, c.name);
        assert.ok(Buffer.from(row.payload, "utf8").equals(c.bytes), `${c.name} stored byte-exact`);
        assert.equal(row.payload_sha256, sha256(c.bytes));
        assert.equal(row.type, c.type);
        assert.equal(row.deliveries, 2);
      }
    }
  });
}
