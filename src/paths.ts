import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** The package's root folder (this file runs as dist/src/paths.js). */
export const PACKAGE_ROOT = fileURLToPath(new URL("../../", import.meta.url));

export function packagePath(...parts: string[]): string {
  return [PACKAGE_ROOT.replace(/\/$/, ""), ...parts].join("/");
}

let version: string | undefined;

/** portcall's own version, from its package.json (read once). */
export function packageVersion(): string {
  version ??= (JSON.parse(readFileSync(packagePath("package.json"), "utf8")) as { version: string }).version;
  return version;
}
