import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { GroupCommitter } from "./group-commit.js";

/** A commit function whose commits finish only when the test says so. */
function controlledCommit() {
  const calls: { items: number[]; finish: (error?: Error) => void }[] = [];
  let running = 0;
  let maxRunning = 0;
  const commit = (items: number[]) =>
    new Promise<string[]>((resolve, reject) => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      calls.push({
        items,
        finish: (error) => {
          running--;
          if (error) reject(error);
          else resolve(items.map((i) => `ok ${i}`));
        },
      });
    });
  return { commit, calls, maxRunning: () => maxRunning };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe("GroupCommitter", () => {
  it("commits alone at low load and batches what arrives during a commit", async () => {
    const c = controlledCommit();
    const committer = new GroupCommitter(c.commit, 100);
    const first = committer.submit(1);
    await turn();
    assert.deepEqual(
      c.calls.map((call) => call.items),
      [[1]],
    );
    const rest = [2, 3, 4].map((i) => committer.submit(i));
    await turn();
    assert.equal(c.calls.length, 1, "no second commit while one is in flight");
    c.calls[0]?.finish();
    assert.equal(await first, "ok 1");
    await turn();
    assert.deepEqual(c.calls[1]?.items, [2, 3, 4]);
    c.calls[1]?.finish();
    assert.deepEqual(await Promise.all(rest), ["ok 2", "ok 3", "ok 4"]);
  });

  it("never puts more than maxBatch items in one commit", async () => {
    const c = controlledCommit();
    const committer = new GroupCommitter(c.commit, 2);
    const all = [1, 2, 3, 4, 5].map((i) => committer.submit(i));
    for (let i = 0; i < 3; i++) {
      await turn();
      c.calls[i]?.finish();
    }
    assert.deepEqual(await Promise.all(all), ["ok 1", "ok 2", "ok 3", "ok 4", "ok 5"]);
    assert.deepEqual(
      c.calls.map((call) => call.items),
      [[1, 2], [3, 4], [5]],
    );
  });

  it("runs up to maxInFlight commits at once, and no more", async () => {
    const c = controlledCommit();
    const committer = new GroupCommitter(c.commit, 1, 3);
    const all = [1, 2, 3, 4, 5].map((i) => committer.submit(i));
    await turn();
    assert.equal(c.calls.length, 3);
    c.calls[1]?.finish();
    await turn();
    assert.equal(c.calls.length, 4, "a finished commit makes room for the next batch");
    for (const call of c.calls.slice()) if (call !== c.calls[1]) call.finish();
    await turn();
    c.calls[4]?.finish();
    assert.deepEqual(await Promise.all(all), ["ok 1", "ok 2", "ok 3", "ok 4", "ok 5"]);
    assert.equal(c.maxRunning(), 3);
  });

  it("fails only the batch whose commit failed", async () => {
    const c = controlledCommit();
    const committer = new GroupCommitter(c.commit, 100);
    const first = committer.submit(1);
    await turn();
    const second = committer.submit(2);
    c.calls[0]?.finish(new Error("disk full"));
    await assert.rejects(first, /disk full/);
    await turn();
    c.calls[1]?.finish();
    assert.equal(await second, "ok 2");
  });

  it("drain waits for queued and in-flight commits", async () => {
    const c = controlledCommit();
    const committer = new GroupCommitter(c.commit, 1, 2);
    void committer.submit(1);
    void committer.submit(2);
    void committer.submit(3);
    let drained = false;
    const draining = committer.drain().then(() => {
      drained = true;
    });
    await turn();
    c.calls[0]?.finish();
    await turn();
    c.calls[1]?.finish();
    await turn();
    assert.equal(drained, false, "item 3 is still committing");
    c.calls[2]?.finish();
    await draining;
    assert.equal(committer.pending, 0);
  });

  it("rejects a maxInFlight below one", () => {
    assert.throws(() => new GroupCommitter(async () => [], 10, 0), /maxInFlight/);
  });
});
