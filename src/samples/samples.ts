import { readdirSync, readFileSync } from "node:fs";
import { packagePath } from "../paths.js";

export interface SampleFile {
  readonly name: string;
  readonly path: string;
  readonly bytes: Buffer;
}

export const SAMPLES_DIR = packagePath("samples", "flexport");

/** portcall's own realistic Flexport v2 events, in delivery order. */
export function loadSamples(): SampleFile[] {
  return readdirSync(SAMPLES_DIR)
    .filter((name) => name.endsWith(".json"))
    .sort()
    .map((name) => {
      const path = `${SAMPLES_DIR}/${name}`;
      return { name, path, bytes: readFileSync(path) };
    });
}
