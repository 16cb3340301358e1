import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createProgressLine } from "../src/replay/progress-line.js";

function stream(isTTY: boolean) {
  const writes: string[] = [];
  return {
    writes,
    stream: { isTTY, write: (text: string) => writes.push(text) } as unknown as NodeJS.WriteStream,
  };
}

describe("createProgressLine", () => {
  it("on a terminal → redraws one line in place with \\r and erase-to-end, ends it on done", () => {
    const out = stream(true);
    const line = createProgressLine({ stream: out.stream, ttyIntervalMs: 0 });
    line.update(() => "replay: 1 read");
    line.update(() => "replay: 2 read");
    line.done("replay: 2 read in 0.1 s");
    assert.deepEqual(out.writes, [
      "\rreplay: 1 read\x1b[K",
      "\rreplay: 2 read\x1b[K",
      "\rreplay: 2 read in 0.1 s\x1b[K\n",
    ]);
  });

  it("to a file or pipe → no control characters, at most one line per interval", () => {
    const out = stream(false);
    const line = createProgressLine({ stream: out.stream, plainIntervalMs: 60_000 });
    let rendered = 0;
    for (let i = 0; i < 1000; i++) {
      line.update(() => {
        rendered += 1;
        return `replay: ${i} read`;
      });
    }
    line.done("replay: 1000 read");
    assert.equal(rendered, 0, "nothing is rendered before the interval has passed");
    assert.deepEqual(out.writes, ["replay: 1000 read\n"]);
  });
});
