import { createServer, type IncomingHttpHeaders, type IncomingMessage } from "node:http";
import Fastify, { type FastifyReply, type FastifyRequest, LogController } from "fastify";
import type { Logger } from "pino";
import { ERRORS, type ErrorCode, errorBody, RETRY_AFTER_SECONDS } from "../core/errors.js";
import { DEFAULT_SOURCE } from "../core/event-recorder.js";
import { type ReceiveConfig, receiveFor } from "../core/receive.js";
import type { DashboardOptions } from "../dashboard/dashboard-plugin.js";
import { collectAfterLargePayload, LARGE_PAYLOAD_BYTES } from "../large-payloads.js";
import {
  type ConfiguredSource,
  createSourceRegistry,
  type SourceRegistry,
} from "../sources/source-registry.js";
import type { EventStore } from "../stores/store.js";
import { DeliveryLog } from "./delivery-log.js";
import { createDirectWebhook, type WebhookAnswer } from "./direct-webhook.js";
import type { ReceiverMetrics } from "./metrics.js";
import { OneAtATime } from "./one-at-a-time.js";
import { StoreHealth } from "./store-health.js";
import { traceFieldsOf } from "./trace-context.js";
import { WEBHOOK_PATH } from "./webhook-path.js";
import { withTimeout } from "./with-timeout.js";

export { WEBHOOK_PATH };

export interface AppTimeouts {
  readonly headersTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
}

export interface AppDeps {
  readonly store: EventStore;
  /** The default source (/webhooks/flexport) and the body limit of every source. */
  readonly receiveConfig: ReceiveConfig;
  /** Every source by name, `default` included; built from receiveConfig alone when absent. */
  readonly sources?: SourceRegistry;
  readonly logger: Logger;
  readonly metrics: ReceiverMetrics;
  readonly timeouts: AppTimeouts;
  /** How long /readyz waits for the store before calling it unavailable. */
  readonly readyTimeoutMs?: number;
  /** The dashboard under /ui/; absent when it is turned off. */
  readonly dashboard?: Omit<DashboardOptions, "store" | "deliveries" | "logger" | "readyTimeoutMs">;
  /** Deliveries per outcome over time, for the dashboard; one is made when absent. */
  readonly deliveries?: DeliveryLog;
}

const EMPTY = Buffer.alloc(0);

export type App = ReturnType<typeof buildApp>;
function noSchemas() {
  return (): never => {
    throw new Error("portcall's routes declare no JSON schemas; no schema compiler is loaded");
  };
}

const WEBHOOK_METHODS_NOT_ALLOWED = ["GET", "HEAD", "DELETE", "PATCH", "OPTIONS"] as const;
const SOURCE_PATH = `${WEBHOOK_PATH}/:source`;

/** Builds the HTTP app without listening; `server.ts` listens, tests may inject. */
export function buildApp(deps: AppDeps) {
  const { store, receiveConfig, logger, metrics, timeouts } = deps;
  const sources = deps.sources ?? createSourceRegistry(undefined, { defaultSource: receiveConfig });
  const defaultSource = sources.get(DEFAULT_SOURCE);
  metrics.withSources(sources.keys());
  const health = new StoreHealth(logger);
  // The next large body waits until the garbage of the previous one is collected.
  const largeBodies = new OneAtATime((release) => collectAfterLargePayload(release));
  const deliveries = deps.deliveries ?? new DeliveryLog();
  let closing = false;

  /**
   * One delivery, whichever path it came by: the direct node:http one or Fastify's route.
   * The caller puts a large body through `largeBodies` (the direct path does it before it
   * reads the body).
   */
  const deliverWebhook = async (
    source: ConfiguredSource,
    body: Buffer,
    headers: IncomingHttpHeaders,
  ): Promise<WebhookAnswer> => {
    const started = performance.now();
    const result = await receiveFor(source.receiving, body, (name) => headers[name], store);
    const ms = performance.now() - started;
    const name = source.receiving.name;
    metrics.delivered(result.outcome, ms / 1000, result.log.reason, name);
    deliveries.add(result.outcome);
    if (result.outcome === "store_unavailable") health.failed(result.log.error ?? "unknown error", started);
    else if (result.status === 200) health.succeeded(started);

    const accepted = result.outcome === "stored" || result.outcome === "duplicate";
    // The line is only built when it will be written: at LOG_LEVEL=warn a 200 writes none.
    if (!accepted || logger.isLevelEnabled("info")) {
      const line = {
        ...traceFieldsOf((header) => headers[header]),
        ...result.log,
        error: undefined,
        source: name,
        outcome: result.outcome,
        status: result.status,
        bytes: body.byteLength,
        ms: Math.round(ms * 100) / 100,
      };
      if (accepted) logger.info(line, "delivery");
      else logger.warn(line, "delivery");
    }
    return { status: result.status, headers: result.headers, body: result.body };
  };
  // The same lookup as the Fastify routes below; anything it does not place goes to them.
  const direct = createDirectWebhook({
    route: (method, path) => {
      if (method !== "POST" && method !== "PUT") return undefined;
      const source =
        path === WEBHOOK_PATH
          ? defaultSource
          : path.startsWith(`${WEBHOOK_PATH}/`)
            ? sources.get(path.slice(WEBHOOK_PATH.length + 1))
            : undefined;
      return source?.methods.includes(method) ? source : undefined;
    },
    maxBodyBytes: receiveConfig.maxBodyBytes,
    deliver: deliverWebhook,
    closing: () => closing,
    logger,
    // Bodies above this are verified, parsed and stored one at a time (see OneAtATime).
    large: { above: LARGE_PAYLOAD_BYTES, queue: largeBodies },
  });

  const app = Fastify({
    loggerInstance: logger,
    // One line per delivery is written by the route itself, with the outcome.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: receiveConfig.maxBodyBytes,
    keepAliveTimeout: timeouts.keepAliveTimeoutMs,
    requestTimeout: timeouts.requestTimeoutMs,
    forceCloseConnections: "idle",
    // No route declares a JSON schema (bodies are raw bytes, answers are built by hand), so
    // Fastify's Ajv and fast-json-stringify compilers are never loaded: ~40 ms of cold start.
    schemaController: { compilersFactory: { buildValidator: noSchemas, buildSerializer: noSchemas } },
    // Node only checks header and request deadlines every connectionsCheckingInterval
    // (30 s by default), which lets a slowloris hold a socket far past headersTimeout.
    serverFactory: (handler) =>
      createServer(
        {
          headersTimeout: timeouts.headersTimeoutMs,
          requestTimeout: timeouts.requestTimeoutMs,
          keepAliveTimeout: timeouts.keepAliveTimeoutMs,
          connectionsCheckingInterval: Math.min(1000, timeouts.headersTimeoutMs),
        },
        (req, res) => {
          if (direct(req, res)) return;
          // server.ts listens before Fastify has loaded its plugins (the dashboard): requests
          // other than deliveries wait for it.
          if (booted) handler(req, res);
          else
            app.ready().then(
              () => handler(req, res),
              () => res.writeHead(503, { "retry-after": "1" }).end(),
            );
        },
      ),
  });
  let booted = false;
  app.addHook("onReady", (done) => {
    booted = true;
    done();
  });
  app.addHook("preClose", (done) => {
    closing = true;
    done();
  });

  // Every body arrives as the exact bytes sent, whatever its content type: the signature
  // is over those bytes, and nothing is ever verified against re-serialised JSON.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "buffer" }, (_request, body, done) => done(null, body));

  // The content type plays no part in verifying or keeping a delivery, but Fastify answers
  // 415 to a malformed one (empty, "garbage") before any parser runs, so an authentic event
  // would be neither stored nor quarantined. Dropping the header sends every body to the
  // catch-all parser above.
  const ignoreContentType = (
    request: { headers: Record<string, unknown> },
    _reply: unknown,
    done: () => void,
  ) => {
    delete request.headers["content-type"];
    done();
  };

  // One lookup in a map built at start: routing costs nothing measurable per delivery.
  const route = (named: boolean) => async (request: FastifyRequest, reply: FastifyReply) => {
    const name = named ? (request.params as { source?: string }).source : DEFAULT_SOURCE;
    const source = name === undefined ? undefined : named ? sources.get(name) : defaultSource;
    if (source === undefined) return sendError(reply, "not_found", "no such source");
    if (!source.methods.includes(request.method as "POST" | "PUT")) {
      return sendError(reply.header("allow", source.methods.join(", ")), "method_not_allowed");
    }
    const body = Buffer.isBuffer(request.body) ? request.body : EMPTY;
    const deliver = () => deliverWebhook(source, body, request.headers);
    const answer = body.byteLength > LARGE_PAYLOAD_BYTES ? await largeBodies.run(deliver) : await deliver();
    return reply.code(answer.status).headers(answer.headers).send(answer.body);
  };

  for (const [url, named] of [
    [WEBHOOK_PATH, false],
    [SOURCE_PATH, true],
  ] as const) {
    app.route({ method: ["POST", "PUT"], url, onRequest: ignoreContentType, handler: route(named) });
    app.route({
      method: [...WEBHOOK_METHODS_NOT_ALLOWED],
      url,
      handler: (request, reply) => {
        const name = named ? (request.params as { source?: string }).source : DEFAULT_SOURCE;
        const source = name === undefined ? undefined : sources.get(name);
        if (source === undefined) return sendError(reply, "not_found", "no such source");
        return sendError(reply.header("allow", source.methods.join(", ")), "method_not_allowed");
      },
    });
  }

  app.get("/healthz", async () => ({ status: "ok" }));

  app.get("/readyz", async (_request, reply) => {
    if (health.failedWithin(RETRY_AFTER_SECONDS * 1000)) {
      return sendError(reply.header("retry-after", String(RETRY_AFTER_SECONDS)), "store_unavailable");
    }
    const started = health.now();
    try {
      await withTimeout(store.ping(), deps.readyTimeoutMs ?? 2000, "store did not answer in time");
      health.succeeded(started);
      return { status: "ready", store: store.dialect };
    } catch (error) {
      health.failed(error instanceof Error ? error.message : String(error), started);
      return sendError(reply.header("retry-after", String(RETRY_AFTER_SECONDS)), "store_unavailable");
    }
  });

  app.get("/metrics", async (_request, reply) => {
    const text = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).send(text);
  });

  const dashboard = deps.dashboard;
  if (dashboard !== undefined) {
    // Loaded only when the dashboard is on, so the receiver's cold start does not pay for it.
    app.register(
      async (scope) => {
        const { dashboardPlugin } = await import("../dashboard/dashboard-plugin.js");
        await dashboardPlugin(scope, {
          ...dashboard,
          store,
          deliveries,
          logger,
          readyTimeoutMs: deps.readyTimeoutMs ?? 2000,
        });
      },
      { prefix: "/ui" },
    );
  }

  // The label is a configured name or "unknown", never text taken from the URL as is.
  const sourceOf = (request: FastifyRequest): string => {
    const named = (request.params as { source?: string } | undefined)?.source;
    if (named === undefined) return request.routeOptions.url === WEBHOOK_PATH ? DEFAULT_SOURCE : "unknown";
    return sources.has(named) ? named : "unknown";
  };

  app.setNotFoundHandler((_request, reply) => sendError(reply, "not_found"));

  app.setErrorHandler((error: { code?: string; statusCode?: number; message?: string }, request, reply) => {
    const code = errorCodeFor(error);
    if (code === "payload_too_large") {
      lingerBeforeClose(request.raw);
      const source = sourceOf(request);
      metrics.delivered("too_large", 0, undefined, source);
      deliveries.add("too_large");
      logger.warn({ outcome: "too_large", status: 413, source, url: request.url }, "delivery");
      return sendError(
        reply,
        code,
        `body is larger than ${receiveConfig.maxBodyBytes} bytes (PORTCALL_MAX_BODY_BYTES)`,
      );
    }
    if (ERRORS[code].status >= 500) logger.error({ err: error, url: request.url }, "request failed");
    else logger.debug({ code: error.code, url: request.url }, "request rejected");
    return sendError(reply, code);
  });

  return app;
}

const LINGER_MS = 1000;
const LINGER_BYTES = 1024 * 1024;

/**
 * Closing a socket that still holds unread request bytes makes the kernel send a reset,
 * and a client still sending its body never reads the 413 (it sees a reset and retries).
 * So the connection is half-closed after the answer and lingers a moment, discarding at
 * most LINGER_BYTES, before it is destroyed: the "lingering close" of nginx and Apache.
 */
function lingerBeforeClose(request: IncomingMessage): void {
  const socket = request.socket as IncomingMessage["socket"] & { destroySoon?: () => void };
  socket.destroySoon = () => {
    socket.end();
    let discarded = 0;
    const timer = setTimeout(() => socket.destroy(), LINGER_MS).unref();
    socket.once("close", () => clearTimeout(timer));
    request.on("data", (chunk: Buffer) => {
      discarded += chunk.length;
      if (discarded > LINGER_BYTES) socket.destroy();
    });
  };
}

function errorCodeFor(error: { code?: string; statusCode?: number }): ErrorCode {
  if (error.code === "FST_ERR_CTP_BODY_TOO_LARGE" || error.statusCode === 413) return "payload_too_large";
  if (error.statusCode === 408) return "request_timeout";
  if (error.statusCode === 404) return "not_found";
  if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500)
    return "invalid_json";
  return "internal_error";
}

function sendError(
  reply: { code(status: number): { send(body: unknown): unknown } },
  code: ErrorCode,
  message?: string,
): unknown {
  return reply.code(ERRORS[code].status).send(errorBody(code, message));
}
