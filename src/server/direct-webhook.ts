import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "pino";
import { errorBody } from "../core/errors.js";

/** What the webhook route answers, whichever path the request took. */
export interface WebhookAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: unknown;
}

export interface DirectWebhookOptions<Target> {
  /**
   * What a method and path (without its query string) deliver to, or undefined to leave the
   * request to Fastify (an unknown source, a method the source does not take, another route).
   */
  readonly route: (method: string, path: string) => Target | undefined;
  readonly maxBodyBytes: number;
  readonly deliver: (target: Target, body: Buffer, headers: IncomingHttpHeaders) => Promise<WebhookAnswer>;
  /** True once the app began closing: Fastify then answers (503, connection: close). */
  readonly closing: () => boolean;
  readonly logger: Logger;
}

const JSON_TYPE = "application/json; charset=utf-8";

/**
 * The webhooks' hot path on plain node:http, in front of Fastify: a delivery with a
 * declared length within the limit is read, delivered and answered here, without Fastify's
 * routing, hooks, request and reply objects. Everything else (other methods and paths, no
 * or too large Content-Length, chunked bodies, shutdown) goes to Fastify, whose handling of
 * those cases (413 with a lingering close, 405, 404, 503 while closing) stays the one
 * implementation. Returns false when the request is not taken.
 */
export function createDirectWebhook<Target>(options: DirectWebhookOptions<Target>) {
  const { route, maxBodyBytes, deliver, closing, logger } = options;
  return (req: IncomingMessage, res: ServerResponse): boolean => {
    if (closing()) return false;
    const url = req.url ?? "";
    const query = url.indexOf("?");
    const target = route(req.method ?? "", query === -1 ? url : url.slice(0, query));
    if (target === undefined) return false;
    const declared = req.headers["content-length"];
    if (declared === undefined || req.headers["transfer-encoding"] !== undefined) return false;
    const length = Number(declared);
    if (!Number.isSafeInteger(length) || length < 0 || length > maxBodyBytes) return false;

    // node:http stops the body at the declared length, so it never exceeds the limit.
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const bytes = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
      deliver(target, bytes, req.headers).then(
        (answer) => send(res, answer),
        (error: unknown) => {
          logger.error({ err: error, url: req.url }, "request failed");
          send(res, { status: 500, headers: {}, body: errorBody("internal_error") });
        },
      );
    });
    // A client that goes away mid-body gets no answer; there is no one left to read it.
    req.on("error", () => undefined);
    return true;
  };
}

function send(res: ServerResponse, answer: WebhookAnswer): void {
  if (res.destroyed) return;
  const text = JSON.stringify(answer.body);
  res.writeHead(answer.status, {
    ...answer.headers,
    "content-type": JSON_TYPE,
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}
