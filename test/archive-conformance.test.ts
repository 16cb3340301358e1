import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type Archive, archiveKey, metadataOf } from "../src/archive/archive.js";
import { createGcsArchive } from "../src/archive/gcs-archive.js";
import { openArchive } from "../src/archive/open-archive.js";
import { parseEnvelope } from "../src/core/envelope.js";
import { type FakeGcsServer, startFakeGcsServer } from "./fakes/fake-gcs-server.js";
import { keptEventFrom } from "./helpers/events.js";
import { makeEvent } from "./helpers/fixtures.js";
import { tempDir } from "./helpers/temp.js";

/** An archive under test plus a view of where its objects really landed. */
interface ArchiveUnderTest {
  readonly archive: Archive;
  /** Full object name (with the prefix) -> exact stored bytes, read behind the archive's back. */
  storedObject(name: string): Buffer | undefined;
  /** The prefix object names carry, as the layout promises. */
  readonly prefix: string;
  close(): Promise<void>;
}

const targets: { name: string; create(): Promise<ArchiveUnderTest> }[] = [
  {
    name: "file",
    create: async () => {
      const dir = tempDir("portcall-archive-");
      return {
        archive: await openArchive(`file:${dir}`),
        prefix: "",
        storedObject: (name) => (existsSync(join(dir, name)) ? readFileSync(join(dir, name)) : undefined),
        close: async () => undefined,
      };
    },
  },
  {
    name: "gcs",
    create: async () => {
      const server = await startFakeGcsServer();
      return {
        archive: await openArchive("gs://portcall-test/raw/flexport/", { gcsApiEndpoint: server.url }),
        prefix: "raw/flexport/",
        storedObject: (name) => server.objects.get(`portcall-test/${name}`)?.bytes,
        close: () => server.close(),
      };
    },
  },
];

for (const target of targets) {
  describe(`archive conformance: ${target.name}`, () => {
    let t: ArchiveUnderTest;
    before(async () => {
      t = await target.create();
    });
    after(() => t.close());

    it("put a new event → created, stored at <prefix>dt=<received date>/<id>.json with the exact bytes", async () => {
      const event = keptEventFrom(makeEvent({ id: 7_100_001 }), "2024-03-04T10:00:01.000Z");
      assert.equal(await t.archive.put(event), "created");
      const stored = t.storedObject(`${t.prefix}dt=2024-03-04/7100001.json`);
      assert.ok(stored, "object not at the promised name");
      assert.deepEqual(stored, Buffer.from(event.payload));
    });

    it("put the same id again, even with other bytes → exists, first bytes unchanged", async () => {
      const first = keptEventFrom(makeEvent({ id: 7_100_002 }), "2024-03-04T11:00:00.000Z");
      const other = keptEventFrom(
        makeEvent({ id: 7_100_002, type: "/other" }),
        "2024-03-04T12:00:00.000Z",
        "sha1",
      );
      assert.equal(await t.archive.put(first), "created");
      assert.equal(await t.archive.put(first), "exists");
      assert.equal(await t.archive.put(other), "exists");
      const read = await t.archive.read(archiveKey(first));
      assert.deepEqual(Buffer.from(read.payload), Buffer.from(first.payload));
      assert.deepEqual(read.metadata, metadataOf(first));
    });

    it("read → metadata restores type, occurred_at, created_at, received_at, signature_alg, sha256", async () => {
      const event = keptEventFrom(
        makeEvent({ id: 7_100_003, type: "/shipment#arrived" }),
        "2024-03-05T00:00:00.500Z",
        "sha1",
      );
      await t.archive.put(event);
      const { metadata } = await t.archive.read(archiveKey(event));
      assert.deepEqual(metadata, {
        type: "/shipment#arrived",
        occurredAt: "2024-03-04T09:58:00.000Z",
        createdAt: "2024-03-04T10:00:00.000Z",
        receivedAt: "2024-03-05T00:00:00.500Z",
        signatureAlg: "sha1",
        payloadSha256: event.payloadSha256,
      });
    });

    it("non-ASCII, escaped and odd whitespace bytes → round trip byte-exact", async () => {
      const body = Buffer.from(
        `{ "id" : 7100004,\t"type":"/shipment#note","note":"Café 中文 🚢 \\u00e9 \u2028","version":2}\r\n`,
        "utf8",
      );
      const event = keptEventFrom(body, "2024-03-06T08:00:00.000Z", "sha256");
      await t.archive.put(event);
      assert.deepEqual(Buffer.from(await t.archive.get(archiveKey(event))), body);
    });

    it("an 8 MiB body → round trip byte-exact", async () => {
      const filler = "ü".repeat(4 * 1024 * 1024 - 40);
      const body = Buffer.from(`{"id":7100005,"type":"/big","data":"${filler}"}`, "utf8");
      assert.ok(body.length >= 8 * 1024 * 1024 - 100);
      const event = keptEventFrom(body, "2024-03-06T09:00:00.000Z");
      assert.equal(await t.archive.put(event), "created");
      const back = Buffer.from(await t.archive.get(archiveKey(event)));
      assert.equal(back.length, body.length);
      assert.ok(back.equals(body));
      assert.ok(Buffer.from((await t.archive.read(archiveKey(event))).payload).equals(body));
    });

    it("an id above 2^53 → key and bytes keep every digit", async () => {
      const body = `{"id":9007199254740993,"type":"/shipment#big_id","created_at":"2024-03-07T00:00:00Z"}`;
      const event = keptEventFrom(body, "2024-03-07T01:00:00.000Z");
      assert.equal(event.id, "9007199254740993");
      await t.archive.put(event);
      assert.ok(t.storedObject(`${t.prefix}dt=2024-03-07/9007199254740993.json`));
      const keys: string[] = [];
      for await (const entry of t.archive.list({ since: "2024-03-07", until: "2024-03-07" }))
        keys.push(entry.key);
      assert.deepEqual(keys, ["dt=2024-03-07/9007199254740993.json"]);
      const parsed = parseEnvelope(await t.archive.get(keys[0] as string));
      assert.ok(parsed.ok && parsed.envelope.id === "9007199254740993");
    });

    it("list with since/until → only those dt= partitions, inclusive, in key order", async () => {
      const days = ["2025-01-30", "2025-01-31", "2025-02-01", "2025-02-02"];
      for (const [i, day] of days.entries()) {
        for (const id of [8_000_010 + i, 8_000_200 + i]) {
          await t.archive.put(keptEventFrom(makeEvent({ id }), `${day}T23:59:59.999Z`));
        }
      }
      const listed: { key: string; date: string }[] = [];
      for await (const entry of t.archive.list({ since: "2025-01-31", until: "2025-02-01" })) {
        // Metadata given with a listing, where an archive gives it, is what read() gives.
        if (entry.metadata !== undefined) {
          assert.deepEqual(entry.metadata, (await t.archive.read(entry.key)).metadata);
          assert.equal(entry.metadata?.receivedAt, `${entry.date}T23:59:59.999Z`);
        }
        listed.push({ key: entry.key, date: entry.date });
      }
      assert.deepEqual(listed, [
        { key: "dt=2025-01-31/8000011.json", date: "2025-01-31" },
        { key: "dt=2025-01-31/8000201.json", date: "2025-01-31" },
        { key: "dt=2025-02-01/8000012.json", date: "2025-02-01" },
        { key: "dt=2025-02-01/8000202.json", date: "2025-02-01" },
      ]);
      const all: string[] = [];
      for await (const entry of t.archive.list({})) all.push(entry.key);
      assert.deepEqual(all, [...all].sort());
      assert.ok(all.includes("dt=2024-03-04/7100001.json") && all.includes("dt=2025-02-02/8000203.json"));
      const none: string[] = [];
      for await (const entry of t.archive.list({ since: "2030-01-01" })) none.push(entry.key);
      assert.deepEqual(none, []);
    });

    it("list with a malformed date → error naming the bound", async () => {
      await assert.rejects(async () => {
        for await (const _ of t.archive.list({ since: "2024-3-1" })) break;
      }, /since: "2024-3-1" is not a YYYY-MM-DD date/);
    });

    it("get of a missing object → rejects", async () => {
      await assert.rejects(t.archive.get("dt=1999-01-01/1.json"));
    });
  });
}

describe("file archive specifics", () => {
  it("concurrent puts of one event → exactly one created, no temp files left", async () => {
    const dir = tempDir("portcall-archive-");
    const archive = await openArchive(`file:${dir}`);
    const event = keptEventFrom(makeEvent({ id: 7_200_001 }), "2024-03-04T10:00:00.000Z");
    const results = await Promise.all(Array.from({ length: 20 }, () => archive.put(event)));
    assert.equal(results.filter((r) => r === "created").length, 1);
    assert.deepEqual(readdirSync(join(dir, "dt=2024-03-04")).sort(), ["7200001.json", "7200001.json.meta"]);
  });

  it("an object without its sidecar → read gives metadata null, list still shows it once", async () => {
    const dir = tempDir("portcall-archive-");
    const archive = await openArchive(`file:${dir}`);
    const event = keptEventFrom(makeEvent({ id: 7_200_002 }), "2024-03-04T10:00:00.000Z");
    await archive.put(event);
    const { rmSync } = await import("node:fs");
    rmSync(join(dir, "dt=2024-03-04", "7200002.json.meta"));
    assert.equal((await archive.read(archiveKey(event))).metadata, null);
    const keys: string[] = [];
    for await (const entry of archive.list({})) keys.push(entry.key);
    assert.deepEqual(keys, ["dt=2024-03-04/7200002.json"]);
  });
});

describe("gcs archive on the wire", () => {
  let server: FakeGcsServer;
  before(async () => {
    server = await startFakeGcsServer();
  });
  after(() => server.close());

  it("put → one multipart upload with ifGenerationMatch=0, application/json, custom metadata", async () => {
    const archive = await openArchive("gs://wire-test/p", { gcsApiEndpoint: server.url });
    const event = keptEventFrom(makeEvent({ id: 7_300_001 }), "2024-03-04T10:00:00.000Z");
    assert.equal(await archive.put(event), "created");
    assert.equal(await archive.put(event), "exists");
    const ours = server.uploads.filter((u) => u.name === "p/dt=2024-03-04/7300001.json");
    assert.deepEqual(
      ours.map((u) => [u.bucket, u.uploadType, u.ifGenerationMatch, u.contentType, u.status]),
      [
        ["wire-test", "multipart", "0", "application/json", 200],
        ["wire-test", "multipart", "0", "application/json", 412],
      ],
    );
    assert.deepEqual(ours[0]?.bytes, Buffer.from(event.payload));
    assert.deepEqual(ours[0]?.metadata, {
      type: "/shipment_leg#departed",
      occurred_at: "2024-03-04T09:58:00.000Z",
      created_at: "2024-03-04T10:00:00.000Z",
      received_at: "2024-03-04T10:00:00.000Z",
      signature_alg: "sha256",
      sha256: event.payloadSha256,
    });
  });

  it("a 503 on upload → the client retries the create-only upload and it lands once", async () => {
    const archive = await openArchive("gs://wire-test/retry", { gcsApiEndpoint: server.url });
    const event = keptEventFrom(makeEvent({ id: 7_300_002 }), "2024-03-04T10:00:00.000Z");
    server.failNext(1, 503);
    assert.equal(await archive.put(event), "created");
    const attempts = server.requests.filter((r) => r.query.name === "retry/dt=2024-03-04/7300002.json");
    assert.equal(attempts.length, 2);
    assert.ok(attempts.every((r) => r.query.ifGenerationMatch === "0"));
  });

  it("list over several pages → every object once, pageToken sent", async () => {
    const archive = await createGcsArchive({
      bucket: "wire-test",
      prefix: "paged/",
      apiEndpoint: server.url,
      pageSize: 3,
    });
    const ids = Array.from({ length: 8 }, (_, i) => 7_400_000 + i);
    for (const id of ids) await archive.put(keptEventFrom(makeEvent({ id }), "2024-03-04T10:00:00.000Z"));
    const keys: string[] = [];
    for await (const entry of archive.list({})) keys.push(entry.key);
    assert.deepEqual(
      keys,
      ids.map((id) => `dt=2024-03-04/${id}.json`),
    );
    const listCalls = server.requests.filter((r) => r.query.prefix === "paged/dt=");
    assert.equal(listCalls.length, 3);
    assert.equal(listCalls.filter((r) => r.query.pageToken !== undefined).length, 2);
  });
});

describe("openArchive", () => {
  it("an unknown scheme → error naming ARCHIVE_URL", async () => {
    await assert.rejects(openArchive("s3://bucket/x"), /ARCHIVE_URL: unsupported archive "s3:\/\/bucket\/x"/);
  });
  it("a bad bucket name → error naming ARCHIVE_URL", async () => {
    await assert.rejects(openArchive("gs://Bad_Bucket!/x"), /ARCHIVE_URL: "Bad_Bucket!"/);
  });
  it("file: without a folder → error naming ARCHIVE_URL", async () => {
    await assert.rejects(openArchive("file:"), /ARCHIVE_URL: "file:" needs a folder/);
  });
});
