import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** The package's root folder (this file runs as dist/src/paths.js). */
export const PACKAGE_ROOT = fileURLToPath(new URL("../../", import.meta.url));

export function packagePath(...parts: string[]): string {
  return [PACKAGE_ROOT.replace(/\/$/, ""), ...parts].join("/");
}

/** The version in the package's package.json. */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(packagePath("package.json"), "utf8")) as { version: string }).version;
}
