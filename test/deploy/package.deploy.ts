import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { packagePath, packageVersion } from "../../src/paths.js";
import { makeEvent } from "../helpers/fixtures.js";
import { deliver, TEST_SECRET } from "../helpers/http.js";
import { freePort } from "../helpers/net.js";
import { localPrebuildEnv } from "../helpers/prebuilt-addon.js";
import { type Service, startService } from "../helpers/process.js";
import { tempDir } from "../helpers/temp.js";

const run = promisify(execFile);
const ADDON = "node_modules/better-sqlite3/build/Release/better_sqlite3.node";

/**
 * `npm pack`, then `npm install --omit=dev <tarball>` into an empty folder, as a user
 * without the registry package would: from this machine's npm cache where it can, with the
 * install scripts running, and better-sqlite3's prebuilt binary served from a local folder
 * (see localPrebuildEnv) because its download host is unreachable here.
 */
describe("the npm pack tarball, installed with --omit=dev into an empty folder", () => {
  let app: string;
  let bin: string;
  const services: Service[] = [];

  before(async () => {
    const started = performance.now();
    const work = tempDir("portcall-pack-");
    await run("npm", ["pack", "--ignore-scripts", "--pack-destination", work], { cwd: packagePath() });
    const tarball = readdirSync(work).find((f) => f.endsWith(".tgz"));
    assert.ok(tarball, "npm pack made no tarball");
    app = join(work, "app");
    await run("mkdir", [app]);
    await run(
      "npm",
      ["install", "--omit=dev", "--no-audit", "--no-fund", "--prefer-offline", join(work, tarball)],
      {
        cwd: app,
        maxBuffer: 16 * 1024 * 1024,
        env: { ...process.env, ...localPrebuildEnv(join(work, "prebuilds")) },
      },
    );
    assert.ok(existsSync(join(app, ADDON)), "better-sqlite3's install script left no binary");
    bin = join(app, "node_modules", ".bin");
    process.stdout.write(`packed and installed in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  });

  after(async () => {
    for (const service of services) await service.stop("SIGKILL");
  });

  it("has no dev dependency and no sources or tests", () => {
    for (const dev of ["typescript", "@biomejs/biome", "pino-pretty", "fast-check", "autocannon"]) {
      assert.ok(!existsSync(join(app, "node_modules", dev)), `${dev} was installed`);
    }
    const pkg = join(app, "node_modules", "portcall");
    assert.ok(existsSync(join(pkg, "dist/src/cli/main.js")));
    for (const absent of ["src", "test", "dist/test", "bench", "scripts"]) {
      assert.ok(!existsSync(join(pkg, absent)), `${absent} is in the tarball`);
    }
  });

  it("portcall --version → the package's version", async () => {
    const { stdout } = await run(join(bin, "portcall"), ["--version"], { cwd: app });
    assert.equal(stdout.trim(), packageVersion());
  });

  it("portcall serve → the first signed delivery answers 200 stored", async () => {
    const port = await freePort();
    const service = await startService(join(bin, "portcall"), ["serve"], {
      cwd: app,
      env: {
        PATH: process.env.PATH ?? "",
        PORT: String(port),
        HOST: "127.0.0.1",
        PORTCALL_DATA_DIR: join(app, "data"),
        FLEXPORT_WEBHOOK_SECRET: TEST_SECRET,
      },
      readyUrl: `http://127.0.0.1:${port}/healthz`,
    });
    services.push(service);
    const response = await deliver(
      `http://127.0.0.1:${port}/webhooks/flexport`,
      makeEvent({ id: 9_500_001 }),
    );
    assert.equal(response.status, 200, service.output());
    assert.deepEqual(response.json, { status: "stored", id: "9500001" });
    assert.equal((await service.stop()).code, 0, service.output());
  });

  it("the function entry under functions-framework → 200 stored into a file: archive; bad JSON → portcall's 400", async () => {
    const port = await freePort();
    const archive = join(app, "archive");
    const service = await startService(
      join(bin, "functions-framework"),
      ["--target=flexportWebhook", `--source=${join(app, "node_modules", "portcall")}`, `--port=${port}`],
      {
        cwd: app,
        env: {
          PATH: process.env.PATH ?? "",
          FLEXPORT_WEBHOOK_SECRET: TEST_SECRET,
          ARCHIVE_URL: `file:${archive}`,
        },
        readyUrl: `http://127.0.0.1:${port}/`,
      },
    );
    services.push(service);
    const url = `http://127.0.0.1:${port}/`;
    const stored = await deliver(url, makeEvent({ id: 9_500_002 }));
    assert.equal(stored.status, 200, service.output());
    assert.deepEqual(stored.json, { status: "stored", id: "9500002" });
    const bad = await deliver(url, "{not json");
    assert.equal(bad.status, 400);
    assert.equal(bad.json.error, "invalid_json");
    assert.ok(existsSync(join(archive, "rejects")), "the bad body was kept");
    assert.ok(readdirSync(archive).some((d) => d.startsWith("dt=")));
  });
});
