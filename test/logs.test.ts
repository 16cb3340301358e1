import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { resolveLogFormat } from "../src/config/config.js";
import { createLogger } from "../src/server/logger.js";
import { traceFieldsOf } from "../src/server/trace-context.js";
import type { EventStore } from "../src/stores/store.js";
import { makeEvent } from "./helpers/fixtures.js";
import { deliver, startTestServer, type TestServer } from "./helpers/http.js";
import { storeTargets, type TestStore } from "./helpers/stores.js";

type Line = Record<string, unknown>;

function capture(): { lines: string[]; destination: NodeJS.WritableStream; parsed(): Line[] } {
  const lines: string[] = [];
  const destination = {
    write(line: string) {
      lines.push(line);
      return true;
    },
  } as unknown as NodeJS.WritableStream;
  return { lines, destination, parsed: () => lines.map((l) => JSON.parse(l) as Line) };
}

describe("log format", () => {
  it("auto → gcp on Cloud Run (K_SERVICE), Cloud Run functions (FUNCTION_TARGET) and jobs; pretty on a terminal; json otherwise", () => {
    assert.equal(resolveLogFormat("auto", { K_SERVICE: "portcall" }, true), "gcp");
    assert.equal(resolveLogFormat("auto", { FUNCTION_TARGET: "flexportWebhook" }, false), "gcp");
    assert.equal(resolveLogFormat("auto", { CLOUD_RUN_JOB: "replay" }, false), "gcp");
    assert.equal(resolveLogFormat("auto", {}, true), "pretty");
    assert.equal(resolveLogFormat("auto", {}, false), "json");
    assert.equal(resolveLogFormat("gcp", {}, true), "gcp");
    assert.equal(resolveLogFormat("json", { K_SERVICE: "portcall" }, false), "json");
  });

  it("gcp: severity for each level, message, timestamp as seconds/nanos, serviceContext; no numeric level name", () => {
    const out = capture();
    const logger = createLogger({
      level: "debug",
      format: "gcp",
      service: "portcall-svc",
      project: "acme",
      destination: out.destination,
    });
    logger.debug("d");
    logger.info({ id: "1" }, "delivery");
    logger.warn("w");
    logger.error({ err: new Error("boom") }, "failed");
    logger.fatal("f");
    const lines = out.parsed();
    assert.deepEqual(
      lines.map((l) => [l.severity, l.message]),
      [
        ["DEBUG", "d"],
        ["INFO", "delivery"],
        ["WARNING", "w"],
        ["ERROR", "failed"],
        ["CRITICAL", "f"],
      ],
    );
    const info = lines[1] as Line;
    assert.equal(info.id, "1");
    assert.equal(info.msg, undefined);
    assert.equal(typeof (info.timestamp as { seconds: unknown }).seconds, "number");
    assert.deepEqual((info.serviceContext as { service: string }).service, "portcall-svc");
    assert.equal(typeof info["logging.googleapis.com/insertId"], "string");
    assert.match(String((lines[3] as Line).stack_trace), /Error: boom/);
  });

  it("json (the default off Google Cloud) keeps pino's own fields", () => {
    const out = capture();
    createLogger({ level: "info", destination: out.destination }).warn("w");
    const [line] = out.parsed();
    assert.equal(line?.level, 40);
    assert.equal(line?.msg, "w");
    assert.equal(line?.severity, undefined);
  });
});

describe("trace context", () => {
  it("X-Cloud-Trace-Context: trace id, decimal span id as 16 hex digits, sampled flag", () => {
    const fields = traceFieldsOf((name) =>
      name === "x-cloud-trace-context" ? "105445aa7843bc8bf206b12000100000/1;o=1" : undefined,
    );
    assert.deepEqual(fields, {
      trace_id: "105445aa7843bc8bf206b12000100000",
      span_id: "0000000000000001",
      trace_flags: "01",
    });
  });

  it("traceparent wins over X-Cloud-Trace-Context; malformed or all-zero headers give nothing", () => {
    const headers: Record<string, string> = {
      traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
      "x-cloud-trace-context": "105445aa7843bc8bf206b12000100000/1;o=1",
    };
    assert.deepEqual(
      traceFieldsOf((n) => headers[n]),
      { trace_id: "4bf92f3577b34da6a3ce929d0e0e4736", span_id: "00f067aa0ba902b7", trace_flags: "01" },
    );
    assert.equal(
      traceFieldsOf((n) => ({ traceparent: "garbage" })[n]),
      undefined,
    );
    assert.equal(
      traceFieldsOf((n) => ({ "x-cloud-trace-context": "0".repeat(32) })[n]),
      undefined,
    );
    assert.equal(
      traceFieldsOf(() => undefined),
      undefined,
    );
  });
});

describe("server logs on Google Cloud, over HTTP", () => {
  let installation: TestStore;
  let store: EventStore;
  let server: TestServer;
  const lines: string[] = [];

  before(async () => {
    const sqlite = (await storeTargets()).find((t) => t.name === "sqlite");
    installation = (await sqlite?.create()) as TestStore;
    store = await installation.open();
    await store.migrate();
    server = await startTestServer(store, { logLines: lines, logFormat: "gcp" });
  });
  after(async () => {
    await server.close();
    await store.close();
    await installation.destroy();
  });

  const deliveries = () => lines.map((l) => JSON.parse(l) as Line).filter((l) => l.message === "delivery");

  it("a delivery with X-Cloud-Trace-Context → INFO with the trace, span and sampled fields Cloud Logging reads", async () => {
    const response = await deliver(server.webhookUrl, makeEvent({ id: 9_300_001 }), {
      headers: { "x-cloud-trace-context": "105445aa7843bc8bf206b12000100000/2;o=1" },
    });
    assert.equal(response.status, 200);
    const line = deliveries().at(-1) as Line;
    assert.equal(line.severity, "INFO");
    assert.equal(
      line["logging.googleapis.com/trace"],
      "projects/test-project/traces/105445aa7843bc8bf206b12000100000",
    );
    assert.equal(line["logging.googleapis.com/spanId"], "0000000000000002");
    assert.equal(line["logging.googleapis.com/trace_sampled"], true);
    assert.equal(line.trace_id, undefined);
  });

  it("a forged delivery → WARNING, no trace field without a trace header, no signature in the line", async () => {
    const response = await deliver(server.webhookUrl, makeEvent({ id: 9_300_002 }), { secret: "wrong" });
    assert.equal(response.status, 401);
    const line = deliveries().at(-1) as Line;
    assert.equal(line.severity, "WARNING");
    assert.equal(line["logging.googleapis.com/trace"], undefined);
    assert.doesNotMatch(lines.join(""), /sha256=/);
  });
});
