import { after, before } from "node:test";
import { signBody } from "../../src/core/signature.js";
import { type App, buildApp } from "../../src/server/app.js";
import { createLogger } from "../../src/server/logger.js";
import { ReceiverMetrics } from "../../src/server/metrics.js";
import { createSourceRegistry } from "../../src/sources/source-registry.js";
import type { SourcesSection } from "../../src/sources/sources-config.js";
import type { EventStore } from "../../src/stores/store.js";

export const TEST_SECRET = "portcall-test-secret-0123456789";

export interface TestServer {
  readonly url: string;
  readonly webhookUrl: string;
  close(): Promise<void>;
}

export interface TestAppOptions {
  secrets?: string[];
  acceptSha1?: boolean;
  maxBodyBytes?: number;
  /** When given, every log line (at trace level) is pushed here; otherwise nothing is logged. */
  logLines?: string[];
  /** Log format when logLines is given (default json); gcp uses the project "test-project". */
  logFormat?: "json" | "gcp";
  /** Turns the dashboard on under /ui/. */
  dashboard?: import("../../src/server/app.js").AppDeps["dashboard"];
  /** A `sources:` section, as PORTCALL_CONFIG would hold it. */
  sources?: SourcesSection;
  /** Receives the app's metrics, for tests that read them. */
  metrics?: ReceiverMetrics;
}

/** The real app, not listening (for `app.inject()` or to listen on), on the given store. */
export function buildTestApp(store: EventStore, options: TestAppOptions = {}): App {
  const lines = options.logLines;
  const destination = {
    write(line: string) {
      lines?.push(line);
      return true;
    },
  } as unknown as NodeJS.WritableStream;
  const receiveConfig = {
    secrets: options.secrets ?? [TEST_SECRET],
    acceptSha1: options.acceptSha1 ?? true,
    maxBodyBytes: options.maxBodyBytes ?? 8 * 1024 * 1024,
  };
  return buildApp({
    store,
    logger: createLogger({
      level: lines ? "trace" : "silent",
      format: options.logFormat ?? "json",
      project: "test-project",
      destination,
    }),
    metrics: options.metrics ?? new ReceiverMetrics({ defaultMetrics: false }),
    receiveConfig,
    sources: createSourceRegistry(options.sources, { defaultSource: receiveConfig }),
    timeouts: { headersTimeoutMs: 5000, requestTimeoutMs: 10_000, keepAliveTimeoutMs: 5000 },
    ...(options.dashboard === undefined ? {} : { dashboard: options.dashboard }),
  });
}

/** The real app on a real loopback port, on the given store (which the caller closes). */
export async function startTestServer(store: EventStore, options: TestAppOptions = {}): Promise<TestServer> {
  const app = buildTestApp(store, options);
  const url = await app.listen({ host: "127.0.0.1", port: 0 });
  return { url, webhookUrl: `${url}/webhooks/flexport`, close: () => app.close() };
}

export interface Delivery {
  readonly status: number;
  readonly json: Record<string, unknown>;
  readonly headers: Headers;
}

/** POSTs a body signed with `secret` (both headers unless `headers` overrides them). */
export async function deliver(
  url: string,
  body: string | Uint8Array,
  options: {
    secret?: string;
    headers?: Record<string, string>;
    sign?: boolean;
    method?: "POST" | "PUT";
  } = {},
): Promise<Delivery> {
  const bytes = typeof body === "string" ? Buffer.from(body, "utf8") : body;
  const signature = options.sign === false ? {} : signBody(bytes, options.secret ?? TEST_SECRET);
  const response = await fetch(url, {
    method: options.method ?? "POST",
    headers: { "content-type": "application/json", ...signature, ...options.headers },
    body: bytes,
  });
  const text = await response.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = { text };
  }
  return { status: response.status, json, headers: response.headers };
}

/** The store and server a suite runs against; `restart` in a test may replace both. */
export interface ReceiverUnderTest {
  installation: import("./stores.js").TestStore;
  store: EventStore;
  server: TestServer;
}

/**
 * Registers before/after hooks that give the enclosing suite a fresh installation of the
 * target store, migrated, with the real app listening on loopback; torn down afterwards.
 */
export function receiverUnderTest(target: import("./stores.js").StoreTarget): ReceiverUnderTest {
  const ctx = {} as ReceiverUnderTest;
  before(async () => {
    ctx.installation = await target.create();
    ctx.store = await ctx.installation.open();
    await ctx.store.migrate();
    ctx.server = await startTestServer(ctx.store);
  });
  after(async () => {
    await ctx.server?.close();
    await ctx.store?.close();
    await ctx.installation?.destroy();
  });
  return ctx;
}
