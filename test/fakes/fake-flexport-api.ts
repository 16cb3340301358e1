import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { makeEvent } from "../helpers/fixtures.js";

/** A response the fake gives instead of the real one, for the next matching request. */
export interface InjectedFault {
  /** HTTP status; "reset" drops the connection unanswered, "truncate" drops it mid-body. */
  readonly status: number | "reset" | "truncate";
  readonly headers?: Record<string, string>;
  /** The path it applies to (default /events; LOGISTICS_EVENTS_PATH for the Logistics API list). */
  readonly path?: string;
  /** Only requests for this page number (1-based) match; any page when absent. */
  readonly page?: number;
  /** How many matching requests get this fault (default 1). */
  times?: number;
}

export interface FakeRequest {
  readonly method: string;
  readonly path: string;
  readonly page: number | undefined;
  readonly status: number | "reset" | "truncate";
}

export interface FakeFlexportApiOptions {
  /** Each event's exact JSON text, served byte for byte. */
  readonly events: readonly string[];
  /** The most events a page holds, whatever `per` asks (Flexport caps `per` too). */
  readonly pageSize?: number;
  /** The API key accepted as a bearer token. */
  readonly apiToken?: string;
  /** OAuth client credentials accepted by POST /oauth/token. */
  readonly client?: { readonly id: string; readonly secret: string; readonly expiresInS?: number };
  /** Items `{id, type, time, payload}` (exact texts) served at LOGISTICS_EVENTS_PATH. */
  readonly logisticsItems?: readonly string[];
}

/** The Logistics API version the fake serves: `/logistics/api/<version>/events`. */
export const LOGISTICS_API_VERSION = "2024-07";
export const LOGISTICS_EVENTS_PATH = `/logistics/api/${LOGISTICS_API_VERSION}/events`;

export interface FakeFlexportApi {
  readonly url: string;
  readonly requests: FakeRequest[];
  /** POST /oauth/token calls that were answered with a token. */
  readonly tokenRequests: number;
  inject(fault: InjectedFault): void;
  /** Makes every token issued so far invalid (as a revocation would). */
  revokeTokens(): void;
  close(): Promise<void>;
}

/**
 * A local stand-in for Flexport's `GET /events` (API v2, paginated collection with absolute
 * `next` links) and its OAuth token endpoint, on 127.0.0.1. Pages are built by string
 * concatenation so each event keeps its exact text (ids above 2^53 included).
 */
export async function startFakeFlexportApi(options: FakeFlexportApiOptions): Promise<FakeFlexportApi> {
  const pageSize = options.pageSize ?? 100;
  const faults: InjectedFault[] = [];
  const requests: FakeRequest[] = [];
  const issued = new Set<string>();
  let tokenRequests = 0;
  let base = "";
  const events = options.events.map((text) => {
    const parsed = JSON.parse(text) as { type: string; occurred_at: string };
    return { text, type: parsed.type, occurredMs: Date.parse(parsed.occurred_at) };
  });
  // Flexport lists events in a stable order; ties keep the given order.
  events.sort((a, b) => a.occurredMs - b.occurredMs);
  const logistics = (options.logisticsItems ?? []).map((text) => {
    const parsed = JSON.parse(text) as { type: string; time: string };
    return { text, type: parsed.type, occurredMs: Date.parse(parsed.time) };
  });
  logistics.sort((a, b) => a.occurredMs - b.occurredMs);

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", base);
    const pageParam = url.searchParams.get("page");
    const limit = Math.min(pageSize, Number(url.searchParams.get("limit") ?? "100"));
    const offset = Number(
      Buffer.from(url.searchParams.get("page_info") ?? "", "base64url").toString() || "0",
    );
    const page =
      url.pathname === "/events"
        ? Number(pageParam ?? "1")
        : url.pathname === LOGISTICS_EVENTS_PATH
          ? Math.floor(offset / limit) + 1
          : undefined;
    const log = (status: FakeRequest["status"]) =>
      requests.push({ method: req.method ?? "", path: url.pathname + url.search, page, status });

    const faultIndex = faults.findIndex(
      (f) => (f.path ?? "/events") === url.pathname && (f.page === undefined || f.page === page),
    );
    const fault = faults[faultIndex];
    if (fault !== undefined) {
      fault.times = (fault.times ?? 1) - 1;
      if (fault.times <= 0) faults.splice(faultIndex, 1);
      log(fault.status);
      if (fault.status === "reset") {
        req.socket.destroy();
        return;
      }
      if (fault.status === "truncate") {
        res.writeHead(200, { "content-type": "application/json", "content-length": "4096" });
        res.write('{"_object":"/api/response","data":{"_object":"/api/coll');
        setTimeout(() => req.socket.destroy(), 20);
        return;
      }
      return send(res, fault.status, { error: { message: "injected fault" } }, fault.headers);
    }

    if (req.method === "POST" && url.pathname === "/oauth/token") {
      return void readJson(req).then((body) => {
        const client = options.client;
        const ok =
          client !== undefined &&
          body?.client_id === client.id &&
          body?.client_secret === client.secret &&
          body?.audience === "https://api.flexport.com" &&
          body?.grant_type === "client_credentials";
        log(ok ? 200 : 401);
        if (!ok) return send(res, 401, { error: "access_denied" });
        tokenRequests++;
        const token = `fake-oauth-token-${tokenRequests}`;
        issued.add(token);
        send(res, 200, {
          access_token: token,
          token_type: "Bearer",
          expires_in: client.expiresInS ?? 86_400,
        });
      });
    }

    if (req.method !== "GET" || (url.pathname !== "/events" && url.pathname !== LOGISTICS_EVENTS_PATH)) {
      log(404);
      return send(res, 404, { error: { message: "not found" } });
    }
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1];
    if (bearer === undefined || (bearer !== options.apiToken && !issued.has(bearer))) {
      log(401);
      return send(res, 401, { error: { message: "invalid token" } });
    }
    if (url.pathname === LOGISTICS_EVENTS_PATH) {
      // The Logistics API list: a bare array, the next page_info cursor in a Link header.
      const after = url.searchParams.get("after");
      const type = url.searchParams.get("type");
      const selected = logistics.filter(
        (e) => (after === null || e.occurredMs >= Date.parse(after)) && (type === null || e.type === type),
      );
      const slice = selected.slice(offset, offset + limit);
      const headers: Record<string, string> = { "content-type": "application/json; charset=utf-8" };
      if (offset + limit < selected.length) {
        const next = new URL(url);
        next.searchParams.set("page_info", Buffer.from(String(offset + limit)).toString("base64url"));
        headers.link = `<${next.toString()}>; rel="next"`;
      }
      log(200);
      return void res.writeHead(200, headers).end(`[\n  ${slice.map((e) => e.text).join(",\n  ")}\n]`);
    }
    if (req.headers["flexport-version"] !== "2") {
      log(400);
      return send(res, 400, { error: { message: "missing or unsupported Flexport-Version header" } });
    }
    const gte = url.searchParams.get("f.occurred_at.gte");
    const lte = url.searchParams.get("f.occurred_at.lte");
    const type = url.searchParams.get("f.type");
    const selected = events.filter(
      (e) =>
        (gte === null || e.occurredMs >= Date.parse(gte)) &&
        (lte === null || e.occurredMs <= Date.parse(lte)) &&
        (type === null || e.type === type),
    );
    const per = Math.min(pageSize, Number(url.searchParams.get("per") ?? "20"));
    const n = page ?? 1;
    const slice = selected.slice((n - 1) * per, n * per);
    const link = (p: number) => {
      const next = new URL(url);
      next.searchParams.set("page", String(p));
      return JSON.stringify(next.toString());
    };
    const next = n * per < selected.length ? link(n + 1) : "null";
    const prev = n > 1 ? link(n - 1) : "null";
    // Pretty-printed like a real API response: the elements must still come out byte-exact.
    const body =
      `{"_object":"/api/response","self":${JSON.stringify(url.toString())},"version":2,` +
      `"data":{"_object":"/api/collections/paginated","prev":${prev},"next":${next},` +
      `"data":[\n  ${slice.map((e) => e.text).join(",\n  ")}\n]}}`;
    log(200);
    res.writeHead(200, { "content-type": "application/json; charset=utf-8" }).end(body);
  });

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    requests,
    get tokenRequests() {
      return tokenRequests;
    },
    inject: (fault) => faults.push({ ...fault }),
    revokeTokens: () => issued.clear(),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify(body));
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown> | undefined> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** An id above 2^53: JSON.parse would round it, so it must travel as text end to end. */
export const BIG_EVENT_ID = "9007199254740993";

/**
 * Events for the fake to serve, each as exact text: test-made events of several types over
 * several days, one with an id above 2^53, one pretty-printed (its whitespace must survive),
 * plus the project's sample events when present.
 */
export function fakeApiEvents(samples: readonly Uint8Array[] = []): string[] {
  const types = ["/shipment_leg#departed", "/shipment_leg#arrived", "/shipment#booked", "/invoice#created"];
  const made = Array.from({ length: 11 }, (_, i) =>
    makeEvent({
      id: 8_100_001 + i,
      type: types[i % types.length],
      occurred_at: new Date(Date.UTC(2024, 2, 1 + i, 9, 30)).toISOString(),
      shipmentId: 2_700_001 + (i % 3),
    }),
  );
  const big = makeEvent({
    id: 1,
    type: "/shipment#arrived",
    occurred_at: "2024-03-12T08:00:00.000Z",
  }).replace('"id":1,', `"id":${BIG_EVENT_ID},`);
  const pretty = JSON.stringify(
    JSON.parse(
      makeEvent({ id: 8_100_100, type: "/shipment#arrived", occurred_at: "2024-03-13T07:00:00.000Z" }),
    ),
    null,
    2,
  );
  const decoder = new TextDecoder();
  const fromSamples = samples
    .map((bytes) => decoder.decode(bytes))
    .filter((text) => typeof (JSON.parse(text) as { occurred_at?: unknown }).occurred_at === "string");
  return [...made, big, pretty, ...fromSamples];
}
