import { rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { relative } from "node:path";
import { build } from "esbuild";
import { packagePath } from "../src/paths.js";

/**
 * Bundles the shipped entry points (the CLI, the Cloud Function, and the SQLite writer and
 * checkpointer threads) from tsc's output into dist/bundle/, sharing chunks between them.
 * Most of a cold start was Node resolving and reading a few hundred module files; a handful
 * of bundled files start faster. Dynamic imports stay separate chunks, so what loaded lazily
 * still does. Native and heavy packages stay outside: better-sqlite3 (a native addon), pg
 * and the Google Cloud SDKs (loaded only by the stores and sinks that use them).
 * The folder sits two levels below the package root, as dist/src does, so the SQL files and
 * samples resolve the same way; the worker threads keep their file names.
 */
const outdir = packagePath("dist", "bundle");
/**
 * Fastify requires its schema compilers (Ajv, fast-json-stringify) and inject()'s
 * light-my-request only when they are used. portcall's routes declare no schemas (app.ts)
 * and only tests inject, so these stay out of the bundle, about 600 KB that every start
 * compiled, and load from node_modules (the path found at build time) if ever required.
 */
const FASTIFY_ON_DEMAND =
  /^(@fastify\/ajv-compiler|@fastify\/fast-json-stringify-compiler|light-my-request)$/;
rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: [
    packagePath("dist", "src", "cli", "main.js"),
    packagePath("dist", "src", "function", "index.js"),
    packagePath("dist", "src", "stores", "sqlite", "sqlite-writer.js"),
    packagePath("dist", "src", "stores", "sqlite", "sqlite-checkpointer.js"),
  ],
  outdir,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  entryNames: "[name]",
  chunkNames: "chunk-[hash]",
  external: ["better-sqlite3", "pg", "@google-cloud/*"],
  // Bundled CommonJS packages call require(); an ES module has none of its own.
  banner: {
    js: 'import { createRequire as portcallCreateRequire } from "node:module"; const require = portcallCreateRequire(import.meta.url);',
  },
  plugins: [
    {
      name: "fastify-on-demand",
      setup(build) {
        build.onResolve({ filter: FASTIFY_ON_DEMAND }, (args) => ({
          path: relative(outdir, createRequire(args.importer).resolve(args.path)),
          external: true,
        }));
      },
    },
  ],
  logLevel: "warning",
});

// The Cloud Function's entry as .mjs: for a .js file the Functions Framework reads the nearest
// package.json through read-package-up to learn whether it is an ES module, and that import
// loads normalize-package-data, spdx-correct and hosted-git-info, a large part of the
// function's cold start. An .mjs file is an ES module without asking.
writeFileSync(packagePath("dist", "bundle", "index.mjs"), 'export { flexportWebhook } from "./index.js";\n');
