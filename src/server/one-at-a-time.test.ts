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
});
