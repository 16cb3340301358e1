import assert from "node:assert/strict";
import { createServer } from "node:net";
import { describe, it } from "node:test";
import { runCli } from "./helpers/cli.js";
import { tempDir } from "./helpers/temp.js";

describe("serve on a port already in use", () => {
  it("serve → exits 1 within seconds, naming PORT and HOST, store closed", async () => {
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, "127.0.0.1", resolve));
    const port = (busy.address() as { port: number }).port;
    try {
      const dir = tempDir();
      const result = await runCli(
        ["serve"],
        { HOST: "127.0.0.1", PORT: String(port), PORTCALL_DATA_DIR: dir, FLEXPORT_WEBHOOK_SECRET: "s" },
        { timeoutMs: 8000 },
      );
      assert.equal(result.code, 1, `exit code (null: killed after 8 s); stderr: ${result.stderr}`);
      assert.match(result.stderr, new RegExp(`127\\.0\\.0\\.1:${port} is already in use`));
      assert.match(result.stderr, /PORT/);
      assert.match(result.stderr, /HOST/);
      assert.doesNotMatch(result.stderr, /\n\s+at /);
    } finally {
      busy.close();
    }
  });
});
