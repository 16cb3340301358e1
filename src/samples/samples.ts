import { readdirSync, readFileSync } from "node:fs";
import { packagePath } from "../paths.js";

export interface SampleFile {
  readonly name: string;
  readonly path: string;
  readonly bytes: Buffer;
}

export const SAMPLES_DIR = packagePath("samples", "flexport");
/** Logistics API webhook bodies, written from the public `…Webhook` schemas (samples/README.md). */
export const LOGISTICS_SAMPLES_DIR = packagePath("samples", "logistics");

/** portcall's own realistic Flexport v2 events (or, given its folder, Logistics API events), in delivery order. */
export function loadSamples(dir: string = SAMPLES_DIR): SampleFile[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith(".json"))
    .sort()
    .map((name) => {
      const path = `${dir}/${name}`;
      return { name, path, bytes: readFileSync(path) };
    });
}
