import assert from "node:assert/strict";
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { tempDir } from "../../../test/helpers/temp.js";
import { WAL_SIZE_LIMIT_BYTES } from "./sqlite-connection.js";
import { SqliteStore } from "./sqlite-store.js";

const walBytes = (file: string) => (existsSync(`${file}-wal`) ? statSync(`${file}-wal`).size : 0);

describe("SQLite WAL under sustained writes", () => {
  it("stays bounded: the checkpointer restarts the log instead of letting it grow", async () => {
    const file = join(tempDir(), "wal.db");
    const store = new SqliteStore({ filename: file });
    await store.migrate();
    const filler = "x".repeat(8000);
    let largestWal = 0;
    let written = 0;
    // ~64 MB of events over more than a second, in overlapping group commits, so the
    // checkpointer (every 200 ms) runs many times while the writer never pauses.
    const started = Date.now();
    for (let round = 0; written < 64 * 1024 * 1024 || Date.now() - started < 1500; round++) {
      await Promise.all(
        Array.from({ length: 64 }, (_, i) => {
          const id = String(round * 64 + i + 1);
          const payload = JSON.stringify({ id: Number(id), type: "/shipment#created", filler });
          written += payload.length;
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
            },
            new Date(),
          );
        }),
      );
      largestWal = Math.max(largestWal, walBytes(file));
    }
    await store.close();
    assert.ok(written >= 64 * 1024 * 1024);
    // Without restarts the WAL holds every page written (well over the 64 MB of events).
    assert.ok(
      largestWal < 2 * WAL_SIZE_LIMIT_BYTES,
      `WAL reached ${(largestWal / 2 ** 20).toFixed(1)} MiB after ${(written / 2 ** 20).toFixed(0)} MiB of events`,
    );
  });
});
