import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, symlinkSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, it } from "node:test";
import { promisify } from "node:util";
import { packagePath } from "../../src/paths.js";
import { tempDir } from "../helpers/temp.js";

const run = promisify(execFile);

/**
 * What `gcloud … deploy --source=.` uploads from a fresh clone: the tracked files that
 * `.gcloudignore` (gitignore syntax) does not exclude. That set alone must build with the
 * buildpack's `gcp-build` into the `main` functions-framework loads. (The buildpack's own
 * `npm ci` is replaced by this checkout's node_modules: installing is tested elsewhere.)
 */
describe("the source upload that .gcloudignore leaves", () => {
  it("holds no tests, build output or local data, and builds with gcp-build into package.json's main", async () => {
    const { stdout: tracked } = await run("git", ["ls-files"], { cwd: packagePath() });
    const files = tracked.split("\n").filter((f) => f !== "");
    const ignored = new Set(await gcloudIgnored(files));
    const upload = files.filter((f) => !ignored.has(f));
    for (const dir of ["test/", "bench/", "docs/", ".ci/", "dist/", "node_modules/"]) {
      assert.ok(!upload.some((f) => f.startsWith(dir)), `${dir} would be uploaded`);
    }
    for (const needed of [
      "package.json",
      "package-lock.json",
      "tsconfig.json",
      "tsconfig.build.json",
      "Dockerfile",
      "src/function/index.ts",
      "sql/bigquery/flexport_events.sql",
    ]) {
      assert.ok(upload.includes(needed), `${needed} would not be uploaded`);
    }

    const dir = tempDir("portcall-upload-");
    for (const file of upload) {
      mkdirSync(dirname(join(dir, file)), { recursive: true });
      cpSync(packagePath(file), join(dir, file));
    }
    symlinkSync(packagePath("node_modules"), join(dir, "node_modules"));
    await run("npm", ["run", "gcp-build"], { cwd: dir });
    const main = (JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { main: string }).main;
    assert.ok(existsSync(join(dir, main)), `${main} was not built`);
    const { stdout } = await run(process.execPath, [
      "--input-type=module",
      "-e",
      `const m = await import(${JSON.stringify(join(dir, main))}); process.stdout.write(typeof m.flexportWebhook);`,
    ]);
    assert.equal(stdout, "function");
  });
});

/** The files .gcloudignore excludes, by git's own gitignore matcher (the syntax gcloud uses). */
async function gcloudIgnored(files: string[]): Promise<string[]> {
  const child = execFile(
    "git",
    ["-c", `core.excludesFile=${packagePath(".gcloudignore")}`, "check-ignore", "--no-index", "--stdin"],
    { cwd: packagePath() },
  );
  child.stdin?.end(files.join("\n"));
  let out = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    out += chunk.toString();
  });
  await new Promise((resolve) => child.on("close", resolve));
  return out.split("\n").filter((f) => f !== "");
}
