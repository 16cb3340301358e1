import assert from "node:assert/strict";
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import Database from "better-sqlite3";
import { tempDir } from "../../../test/helpers/temp.js";
import { SqliteStore } from "./sqlite-store.js";

const MiB = 1024 * 1024;
const walBytes = (file: string) => (existsSync(`${file}-wal`) ? statSync(`${file}-wal`).size : 0);

/** Records `count` events of ~8 KB at once (one or a few group commits); returns their bytes. */
async function recordBatch(store: SqliteStore, firstId: number, count: number): Promise<number> {
  const filler = "x".repeat(8000);
  let bytes = 0;
  await Promise.all(
    Array.from({ length: count }, (_, i) => {
      const id = String(firstId + i);
      const payload = JSON.stringify({ id: firstId + i, type: "/shipment#created", filler });
      bytes += payload.length;
      return store.record(
        {
          id,
          type: "/shipment#created",
          occurredAt: null,
          createdAt: null,
          payload,
          payloadSha256: id.padStart(64, "0"),
          signatureAlg: "sha256",
          source: "webhook",
          sourceName: "default",
          api: "freight",
        },
        new Date(),
      );
    }),
  );
  return bytes;
}

describe("SQLite WAL under sustained writes", () => {
  it("stays bounded: the log restarts instead of growing with what was written", async () => {
    const file = join(tempDir(), "wal.db");
    const store = new SqliteStore({ filename: file });
    await store.migrate();
    let largestWal = 0;
    let written = 0;
    // ~96 MB of events over more than a second, in back-to-back group commits, so the
    // checkpointer (every 200 ms) runs many times while the writer never pauses.
    const started = Date.now();
    for (let id = 1; written < 96 * MiB || Date.now() - started < 1500; id += 64) {
      written += await recordBatch(store, id, 64);
      largestWal = Math.max(largestWal, walBytes(file));
    }
    await store.close();
    // Without restarts the WAL holds every page written: more than the events themselves.
    assert.ok(
      largestWal < written / 2,
      `WAL reached ${(largestWal / MiB).toFixed(1)} MiB after ${(written / MiB).toFixed(0)} MiB of events`,
    );
  });

  it("a reader holding an old snapshot never holds up deliveries while the log waits to restart", async () => {
    const file = join(tempDir(), "reader.db");
    const store = new SqliteStore({ filename: file });
    await store.migrate();
    let id = 1;
    // Well past the restart threshold before the reader arrives.
    while (walBytes(file) < 8 * MiB) {
      await recordBatch(store, id, 64);
      id += 64;
    }
    const reader = new Database(file, { readonly: true });
    reader.exec("BEGIN");
    reader.prepare("SELECT count(*) FROM flexport_events").get(); // the snapshot is now held
    const holdMs = 2000;
    const release = setTimeout(() => reader.exec("COMMIT"), holdMs);
    let slowest = 0;
    const started = Date.now();
    try {
      while (Date.now() - started < holdMs + 500) {
        const batchStarted = performance.now();
        await recordBatch(store, id, 8); // a failed write rejects, and fails the test
        id += 8;
        slowest = Math.max(slowest, performance.now() - batchStarted);
      }
    } finally {
      clearTimeout(release);
      if (reader.inTransaction) reader.exec("COMMIT");
      reader.close();
      await store.close();
    }
    // A restart that waited for the reader would block every commit for the whole hold
    // (or the busy timeout), and then fail them.
    assert.ok(slowest < 1000, `a batch of 8 deliveries waited ${slowest.toFixed(0)} ms`);
  });
});
