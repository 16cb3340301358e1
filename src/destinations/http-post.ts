import http from "node:http";
import https from "node:https";
import { DestinationError, hostOf } from "./destination.js";

/**
 * One keep-alive pool per scheme, shared by every destination. Idle sockets close after
 * IDLE_SOCKET_MS, sooner than servers usually drop them (Node's own 5 s), so a POST rarely
 * meets a socket the other side has just closed; one that does is tried once more.
 */
const IDLE_SOCKET_MS = 4000;
const agents = {
  "http:": new http.Agent({ keepAlive: true, timeout: IDLE_SOCKET_MS }),
  "https:": new https.Agent({ keepAlive: true, timeout: IDLE_SOCKET_MS }),
};

/** Enough of a refusal's body to quote in the error. */
const EXCERPT_BYTES = 1024;

/**
 * POSTs a JSON body and resolves on a 2xx; otherwise fails with a DestinationError giving
 * the status and a short, whitespace-folded excerpt of the answer, or why there was none.
 * The URL's path and query never appear in an error (they often carry tokens). Redirects
 * are not followed (a 3xx is an error naming it). A POST retried on a new socket after a
 * kept-alive one was reset can, rarely, reach a server that had read the first one.
 *
 * node:http rather than fetch: on the alert path fetch cost ~0.5 ms more CPU per request
 * than a keep-alive node:http request to the same local server (5,000 sequential 3 KB
 * POSTs each, Node 20), on the thread that also answers Flexport.
 */
export async function postOrFail(
  url: string,
  body: string,
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<void> {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    throw new DestinationError("POST failed: the destination URL is not a valid URL");
  }
  if (target.protocol !== "http:" && target.protocol !== "https:")
    throw new DestinationError(`POST ${hostOf(url)} failed: only http and https URLs are supported`);
  const payload = Buffer.from(body);
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; ; attempt++) {
    const outcome = await postOnce(target, payload, headers, timeoutMs, deadline - Date.now());
    if (outcome.ok) return;
    // The server closed a kept-alive socket as this POST went out on it, almost always before
    // reading it; tried once more on a new one while time is left.
    if (outcome.staleSocket && attempt === 0 && deadline - Date.now() > 100) continue;
    throw outcome.error;
  }
}

type Outcome = { ok: true } | { ok: false; error: DestinationError; staleSocket: boolean };

function postOnce(
  target: URL,
  payload: Buffer,
  headers: Record<string, string>,
  timeoutMs: number,
  remainingMs: number,
): Promise<Outcome> {
  const where = `POST ${target.protocol}//${target.host}`;
  const client = target.protocol === "https:" ? https : http;
  return new Promise((resolve) => {
    let settled = false;
    const settle = (outcome: Outcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(outcome);
    };
    const failed = (reason: string, staleSocket = false) =>
      settle({ ok: false, error: new DestinationError(`${where} failed: ${reason}`), staleSocket });
    const request = client.request(
      target,
      {
        method: "POST",
        agent: agents[target.protocol as "http:" | "https:"],
        headers: {
          "content-type": "application/json",
          "user-agent": "portcall",
          ...headers,
          "content-length": String(payload.length),
        },
      },
      (response) => {
        const kept: Buffer[] = [];
        let keptBytes = 0;
        response.on("data", (chunk: Buffer) => {
          // The rest is read and dropped, so the socket can serve the next POST.
          if (keptBytes < EXCERPT_BYTES) {
            kept.push(chunk);
            keptBytes += chunk.length;
          }
        });
        response.on("error", (error: NodeJS.ErrnoException) => failed(error.code ?? error.message));
        response.on("end", () => {
          const status = response.statusCode ?? 0;
          if (status >= 200 && status < 300) return settle({ ok: true });
          const text = Buffer.concat(kept).toString("utf8").slice(0, 120).replace(/\s+/g, " ").trim();
          // fetch followed redirects; this client does not, and says so.
          const why =
            status >= 300 && status < 400
              ? " (redirects are not followed: configure the URL it redirects to)"
              : text
                ? `: ${text}`
                : "";
          settle({
            ok: false,
            error: new DestinationError(`${where} answered ${status}${why}`, status),
            staleSocket: false,
          });
        });
      },
    );
    const timer = setTimeout(
      () => {
        failed(`no answer within ${timeoutMs} ms`);
        request.destroy();
      },
      Math.max(0, remainingMs),
    );
    request.on("error", (error: NodeJS.ErrnoException) =>
      failed(error.code ?? error.message, request.reusedSocket && error.code === "ECONNRESET"),
    );
    request.end(payload);
  });
}
