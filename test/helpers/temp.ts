import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const made: string[] = [];
process.on("exit", () => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/**
 * A fresh folder, removed when the test process exits. (Not node:test's after(): called
 * from inside a hook, that would remove the folder as soon as the hook ends.)
 */
export function tempDir(prefix = "portcall-test-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}
