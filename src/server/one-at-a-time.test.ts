import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { OneAtATime } from "./one-at-a-time.js";

describe("OneAtATime", () => {
  it("overlapping tasks → run one after another, in arrival order", async () => {
    const gate = new OneAtATime();
    const log: string[] = [];
    let running = 0;
    const task = (name: string) => async () => {
      running++;
      assert.equal(running, 1, "never two at once");
      log.push(`start ${name}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
      log.push(`end ${name}`);
      running--;
      return name;
    };
    const results = await Promise.all(["a", "b", "c"].map((n) => gate.run(task(n))));
    assert.deepEqual(results, ["a", "b", "c"]);
    assert.deepEqual(log, ["start a", "end a", "start b", "end b", "start c", "end c"]);
  });

  it("a task that throws → its error reaches the caller and the next task still runs", async () => {
    const gate = new OneAtATime();
    const failing = gate.run(async () => {
      throw new Error("boom");
    });
    const next = gate.run(async () => "ran");
    await assert.rejects(failing, /boom/);
    assert.equal(await next, "ran");
  });

  it("a settle step → runs after each task, and the next task waits for its release", async () => {
    const log: string[] = [];
    const gate = new OneAtATime((release) => {
      log.push("settle");
      setTimeout(() => {
        log.push("released");
        release();
      }, 5);
    });
    const first = gate.run(async () => {
      log.push("a");
      return "a";
    });
    const second = gate.run(async () => {
      log.push("b");
      return "b";
    });
    // The first caller has its answer before the settle step ends.
    assert.equal(await first, "a");
    assert.deepEqual(log, ["a", "settle"]);
    assert.equal(await second, "b");
    assert.deepEqual(log, ["a", "settle", "released", "b", "settle"]);
  });
});
