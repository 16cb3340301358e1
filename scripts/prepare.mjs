// `prepare` runs on every local `npm install` / `npm ci`, including production installs
// (`npm ci --omit=dev`) that have no TypeScript: build when the compiler is there, and
// otherwise say why nothing was built instead of failing with "tsc: not found".
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
let tsc;
try {
  tsc = require.resolve("typescript/bin/tsc");
} catch {
  process.stderr.write(
    "portcall: TypeScript is not installed (a production install), so nothing was built. " +
      "Build in a stage that has the dev dependencies (npm ci && npm run build), then prune them.\n",
  );
  process.exit(0);
}
const compiled = spawnSync(process.execPath, [tsc, "-p", "tsconfig.json"], { stdio: "inherit" });
if (compiled.status !== 0) process.exit(compiled.status ?? 1);
// The shipped entry points are the bundle (dist/bundle), as in `npm run build`.
const bundled = spawnSync(process.execPath, ["dist/scripts/bundle.js"], { stdio: "inherit" });
process.exit(bundled.status ?? 1);
