import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { packagePath } from "../../src/paths.js";

/**
 * better-sqlite3's install script (prebuild-install) downloads a prebuilt binary for the
 * running Node and platform, and compiles SQLite when it cannot: minutes on a small
 * machine. The download host is unreachable where these tests run, so this packs the
 * binary this checkout already compiled (same Node, same better-sqlite3 version) into the
 * file name prebuild-install looks for, and returns the environment that makes it look in
 * that folder (its documented `<package>_local_prebuilds` setting) before downloading.
 * The install scripts themselves run unchanged.
 */
export function localPrebuildEnv(dir: string): Record<string, string> {
  const pkg = JSON.parse(readFileSync(packagePath("node_modules/better-sqlite3/package.json"), "utf8")) as {
    version: string;
  };
  const arch = process.arch;
  const name = `better-sqlite3-v${pkg.version}-node-v${process.versions.modules}-${process.platform}-${arch}.tar.gz`;
  mkdirSync(dir, { recursive: true });
  execFileSync("tar", [
    "czf",
    join(dir, name),
    "-C",
    packagePath("node_modules/better-sqlite3"),
    "build/Release/better_sqlite3.node",
  ]);
  return { npm_config_better_sqlite3_local_prebuilds: dir };
}
