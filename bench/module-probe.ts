import { writeFileSync } from "node:fs";
import { createRequire } from "node:module";

/**
 * Preloaded (`node --import`) into a process under test: on SIGUSR2 it writes which
 * CommonJS packages have been loaded so far (ESM imports of CommonJS land in the same cache),
 * so the bench can show the function entry point did not load drivers or SDKs it does not use.
 */
const out = process.env.BENCH_MODULE_PROBE_OUT;
if (out) {
  const cache = createRequire(import.meta.url).cache;
  process.on("SIGUSR2", () => {
    const packages = new Set<string>();
    for (const file of Object.keys(cache)) {
      const match = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(
        file.slice(file.lastIndexOf("node_modules/")),
      );
      if (match?.[1]) packages.add(match[1]);
    }
    writeFileSync(out, JSON.stringify([...packages].sort()));
  });
}
