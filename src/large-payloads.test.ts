import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { collectAfterLargePayload } from "./large-payloads.js";

describe("collectAfterLargePayload", () => {
  it("garbage left by a large payload → collected before `then` runs", async () => {
    // Built in a function, so no binding of this job keeps the text alive.
    const dropped = (() => new WeakRef({ text: "x".repeat(4 * 1024 * 1024).split("") }))();
    await new Promise<void>((resolve) => collectAfterLargePayload(resolve));
    assert.equal(dropped.deref(), undefined, "a full collection clears what nothing references");
  });

  it("several calls in one turn → each `then` runs, after the one collection", async () => {
    const order: number[] = [];
    await Promise.all(
      [1, 2, 3].map(
        (n) => new Promise<void>((resolve) => collectAfterLargePayload(() => resolve(void order.push(n)))),
      ),
    );
    assert.deepEqual(order, [1, 2, 3]);
  });
});
