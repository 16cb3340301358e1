import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { validate } from "dockerfile-utils";
import { packagePath } from "../../src/paths.js";
import { makeEvent } from "../helpers/fixtures.js";
import { deliver, TEST_SECRET } from "../helpers/http.js";
import { freePort } from "../helpers/net.js";
import { localPrebuildEnv } from "../helpers/prebuilt-addon.js";
import { type Service, startService } from "../helpers/process.js";
import { tempDir } from "../helpers/temp.js";
import { buildWithoutDocker, hostPath, type StageResult } from "./dockerfile-steps.js";

const DOCKERFILE = packagePath("Dockerfile");

describe("Dockerfile", () => {
  it("lints clean (dockerfile-utils, the linter of the Dockerfile language server)", () => {
    const problems = validate(readFileSync(DOCKERFILE, "utf8"));
    assert.deepEqual(
      problems.map((p) => `line ${p.range.start.line + 1}: ${p.message}`),
      [],
    );
  });
});

describe("the Dockerfile's steps, performed in a temporary folder, give an image that serves", () => {
  let stages: StageResult[];
  let runtime: StageResult;
  let service: Service | undefined;
  let port: number;
  const started = performance.now();

  before(() => {
    stages = buildWithoutDocker({
      dockerfile: DOCKERFILE,
      context: packagePath(),
      out: tempDir("portcall-image-"),
      // A builder's settings, not a change to the steps: reuse this machine's npm cache, and
      // serve better-sqlite3's prebuilt binary from a local folder (the download host is
      // unreachable here), as prebuild-install would fetch it in a real build.
      runEnv: {
        npm_config_prefer_offline: "true",
        npm_config_update_notifier: "false",
        ...localPrebuildEnv(tempDir("portcall-prebuilds-")),
      },
      runTimeoutMs: 8 * 60_000,
    });
    runtime = stages.at(-1) as StageResult;
    for (const stage of stages) process.stdout.write(`${stage.log.join("\n")}\n`);
    process.stdout.write(`built in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  });

  after(async () => {
    await service?.stop("SIGKILL");
  });

  it("is multi-stage; the runtime stage has no dev dependencies, no sources, no tests", () => {
    assert.deepEqual(
      stages.map((s) => s.name),
      ["build", "runtime"],
    );
    const app = hostPath(runtime, ".");
    for (const present of [
      "dist/src/cli/main.js",
      "dist/src/function/index.js",
      "sql",
      "package.json",
      "node_modules/fastify",
    ]) {
      assert.ok(existsSync(`${app}/${present}`), `${present} missing from the runtime stage`);
    }
    for (const absent of [
      "node_modules/typescript",
      "node_modules/@biomejs/biome",
      "node_modules/pino-pretty",
      "src",
      "test",
      "dist/test",
      "bench",
    ]) {
      assert.ok(!existsSync(`${app}/${absent}`), `${absent} should not be in the runtime stage`);
    }
  });

  it("runs as a non-root user, keeps its data in a volume, stops on SIGTERM, listens on PORT", () => {
    assert.ok(runtime.user !== undefined && !["root", "0"].includes(runtime.user), `USER is ${runtime.user}`);
    assert.equal(runtime.env.PORTCALL_DATA_DIR, "/data");
    assert.ok(runtime.volumes.includes("/data"), `VOLUME ${runtime.volumes.join(" ")}`);
    assert.equal(runtime.stopSignal, "SIGTERM");
    assert.ok(runtime.exposed.includes(runtime.env.PORT ?? ""), "EXPOSE matches the default PORT");
    // Cloud Run kills 10 s after SIGTERM: portcall must give up before that.
    assert.ok(Number(runtime.env.PORTCALL_SHUTDOWN_TIMEOUT_MS) < 10_000);
    assert.equal(runtime.env.NODE_ENV, "production");
  });

  it("its CMD serves on the PORT it is given: first signed delivery → 200 stored, kept in the data volume", async () => {
    port = await freePort();
    const [command, ...args] = runtime.cmd;
    assert.equal(command, "node");
    service = await startService(process.execPath, args, {
      cwd: hostPath(runtime, "."),
      env: {
        PATH: process.env.PATH ?? "",
        ...runtime.env,
        // What Cloud Run provides: the port, the service name; the volume mounted at /data.
        PORT: String(port),
        K_SERVICE: "portcall",
        PORTCALL_DATA_DIR: hostPath(runtime, "/data"),
        FLEXPORT_WEBHOOK_SECRET: TEST_SECRET,
      },
      readyUrl: `http://127.0.0.1:${port}/healthz`,
    });
    const response = await deliver(
      `http://127.0.0.1:${port}/webhooks/flexport`,
      makeEvent({ id: 9_400_001 }),
    );
    assert.equal(response.status, 200, service.output());
    assert.deepEqual(response.json, { status: "stored", id: "9400001" });
    assert.ok(existsSync(hostPath(runtime, "/data/portcall.db")), "the database is in the volume");
    const lines = service
      .output()
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.ok(
      lines.length > 0 && lines.every((l) => typeof l.severity === "string"),
      "Cloud Logging lines (K_SERVICE set)",
    );
  });

  it("SIGTERM (its STOPSIGNAL) → exits 0 well within Cloud Run's 10 s", async () => {
    const stopped = await (service as Service).stop((runtime.stopSignal ?? "SIGTERM") as NodeJS.Signals);
    assert.equal(stopped.code, 0, (service as Service).output());
    assert.ok(stopped.ms < 10_000, `took ${stopped.ms} ms`);
    service = undefined;
  });
});
