import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "pino";
import { errorBody } from "../core/errors.js";
import type { OneAtATime } from "./one-at-a-time.js";

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
  /**
   * Bodies declared larger than `above` bytes are read and delivered inside `queue`, one at
   * a time: reading is where a burst of large bodies would otherwise all sit in memory at
   * once, before any of them reached the queue. The delivery itself must not queue again.
   */
  readonly large?: { readonly above: number; readonly queue: OneAtATime };
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

    // A body still unread stays in the socket and the kernel's buffers (TCP pushes back on
    // the client) until its turn comes.
    const exchange = () => readInto(req, length).then((bytes) => deliver(target, bytes, req.headers));
    const queued =
      options.large !== undefined && length > options.large.above ? options.large.queue : undefined;
    if (queued !== undefined) req.pause();
    const answered = queued !== undefined ? queued.run(exchange) : exchange();
    answered.then(
      (answer) => send(res, answer),
      (error: unknown) => {
        if (error instanceof BodyAborted) return;
        logger.error({ err: error, url: req.url }, "request failed");
        send(res, { status: 500, headers: {}, body: errorBody("internal_error") });
      },
    );
    // A client that goes away mid-body gets no answer; there is no one left to read it.
    req.on("error", () => undefined);
    return true;
  };
}

/** The client went away before its whole body arrived: nothing to deliver or answer. */
class BodyAborted extends Error {}

/**
 * The body, read into one buffer of its declared length: no list of chunks joined at the end,
 * which for an 8 MiB body held two copies of it until the next garbage collection. A body
 * that arrives in one chunk (most webhooks) is that chunk, not copied at all.
 * node:http stops the body at the declared length, so it never exceeds it.
 */
function readInto(req: IncomingMessage, length: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    // Gone while it waited for its turn: its 'close' has been emitted already.
    if (req.destroyed && !req.complete) return reject(new BodyAborted());
    let body: Buffer | undefined;
    let filled = 0;
    req.on("data", (chunk: Buffer) => {
      if (body === undefined && chunk.length === length) body = chunk;
      else {
        body ??= Buffer.allocUnsafe(length);
        chunk.copy(body, filled);
      }
      filled += chunk.length;
    });
    req.on("end", () => (filled === length ? resolve(body ?? Buffer.alloc(0)) : reject(new BodyAborted())));
    req.on("aborted", () => reject(new BodyAborted()));
    req.on("close", () => {
      if (!req.complete) reject(new BodyAborted());
    });
    req.resume();
  });
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
