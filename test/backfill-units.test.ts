import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { loadFlexportApiConfig } from "../src/backfill/backfill-config.js";
import { EventsPageError, parseEventsPage, rawArrayElements } from "../src/backfill/events-page.js";
import { createFlexportEventsClient } from "../src/backfill/flexport-events-client.js";
import {
  backoffMs,
  DEFAULT_RETRY,
  FlexportApiError,
  fetchWithRetry,
  retryAfterMs,
} from "../src/backfill/retry.js";
import { ConfigError } from "../src/config/config.js";

const page = (elements: string, next = "null") =>
  `{"_object":"/api/response","version":2,"data":{"_object":"/api/collections/paginated","prev":null,"next":${next},"data":${elements}}}`;

describe("parseEventsPage", () => {
  it("elements → each one's exact text, big ids and whitespace kept", () => {
    const a = '{"id":9007199254740993,"type":"/a","data":{"s":"]},[\\"x"}}';
    const b = '{\n  "id": 2,\n  "type": "/b"\n}';
    const parsed = parseEventsPage(page(`[ ${a} ,\n${b}]`, '"https://api.flexport.com/events?page=2"'));
    assert.deepEqual(parsed.events, [a, b]);
    assert.equal(parsed.next, "https://api.flexport.com/events?page=2");
  });

  it("empty last page → no events, next null", () => {
    assert.deepEqual(parseEventsPage(page("[]")), { events: [], next: null });
  });

  it("a member named data inside an event does not confuse the cut", () => {
    const inner = '{"data":{"data":[1,2]},"id":3,"type":"/c"}';
    assert.deepEqual(parseEventsPage(page(`[${inner}]`)).events, [inner]);
  });

  it("not a paginated collection → EventsPageError", () => {
    assert.throws(() => parseEventsPage('{"data":[]}'), EventsPageError);
    assert.throws(() => parseEventsPage("not json"), EventsPageError);
    assert.throws(() => parseEventsPage(page("[]", "5")), /data.next/);
  });

  it("rawArrayElements: scalars end at the bracket", () => {
    assert.deepEqual(rawArrayElements('[1, true,null ,"a]",[2]]'), ["1", "true", "null", '"a]"', "[2]"]);
    assert.deepEqual(rawArrayElements("[7]"), ["7"]);
  });
});

describe("retry timing", () => {
  it("Retry-After seconds → that many seconds", () => {
    assert.equal(retryAfterMs("3", 0), 3000);
  });

  it("Retry-After HTTP date → the time until then; past → 0; garbage → none", () => {
    const now = Date.parse("2026-01-01T00:00:00Z");
    assert.equal(retryAfterMs("Thu, 01 Jan 2026 00:00:05 GMT", now), 5000);
    assert.equal(retryAfterMs("Wed, 31 Dec 2025 23:00:00 GMT", now), 0);
    assert.equal(retryAfterMs("soon", now), undefined);
    assert.equal(retryAfterMs(null, now), undefined);
  });

  it("backoff → doubles per attempt within [ceiling/2, ceiling], capped", () => {
    const at = (attempt: number, r: number) =>
      backoffMs(attempt, { baseDelayMs: 100, maxDelayMs: 1000, random: () => r });
    assert.deepEqual(
      [at(1, 0), at(1, 1), at(3, 0), at(3, 1), at(10, 0), at(10, 1)],
      [50, 100, 200, 400, 500, 1000],
    );
  });

  it("Retry-After beyond the limit → a clear error instead of a long sleep", async () => {
    const response = () =>
      Promise.resolve(new Response("", { status: 429, headers: { "retry-after": "3600" } }));
    await assert.rejects(
      fetchWithRetry("GET /events", response, { ...DEFAULT_RETRY, maxRetryAfterMs: 60_000 }),
      (error: unknown) =>
        error instanceof FlexportApiError &&
        /retry after 3600 s, longer than the 60 s limit/.test(error.message),
    );
  });

  it("network errors then success → retried with backoff waits", async () => {
    let calls = 0;
    const waits: number[] = [];
    const response = await fetchWithRetry(
      "GET /events",
      async () => {
        calls++;
        if (calls < 3)
          throw new TypeError("fetch failed", {
            cause: Object.assign(new Error("reset"), { code: "ECONNRESET" }),
          });
        return new Response("ok");
      },
      { ...DEFAULT_RETRY, random: () => 1, sleep: async (ms) => void waits.push(ms) },
    );
    assert.equal(response.status, 200);
    assert.deepEqual(waits, [500, 1000]);
  });

  it("4xx other than 429 → returned at once, no retry", async () => {
    let calls = 0;
    const response = await fetchWithRetry(
      "GET /events",
      async () => {
        calls++;
        return new Response("", { status: 404 });
      },
      { ...DEFAULT_RETRY, sleep: async () => undefined },
    );
    assert.equal(response.status, 404);
    assert.equal(calls, 1);
  });
});

describe("loadFlexportApiConfig", () => {
  const problems = (env: Record<string, string>) => {
    try {
      loadFlexportApiConfig(env);
    } catch (error) {
      assert.ok(error instanceof ConfigError);
      return error.message;
    }
    assert.fail("expected a ConfigError");
  };

  it("API key → default URL, bearer credentials", () => {
    const config = loadFlexportApiConfig({ FLEXPORT_API_TOKEN: "k" });
    assert.equal(config.apiUrl, "https://api.flexport.com");
    assert.deepEqual(config.credentials, { kind: "api-key", token: "k" });
    assert.equal(config.maxAttempts, 6);
  });

  it("no credentials → names FLEXPORT_API_TOKEN", () => {
    assert.match(problems({}), /FLEXPORT_API_TOKEN: is required/);
  });

  it("client id without secret → names FLEXPORT_CLIENT_SECRET", () => {
    assert.match(problems({ FLEXPORT_CLIENT_ID: "id" }), /FLEXPORT_CLIENT_SECRET: is required/);
  });

  it("both ways at once → refused, without echoing a credential", () => {
    const message = problems({
      FLEXPORT_API_TOKEN: "tok-123",
      FLEXPORT_CLIENT_ID: "id",
      FLEXPORT_CLIENT_SECRET: "s-456",
    });
    assert.match(message, /set only one/);
    assert.ok(!message.includes("tok-123") && !message.includes("s-456"));
  });

  it("bad URL and attempts → each variable named", () => {
    const message = problems({
      FLEXPORT_API_TOKEN: "k",
      FLEXPORT_API_URL: "ftp://x",
      PORTCALL_BACKFILL_MAX_ATTEMPTS: "0",
    });
    assert.match(message, /FLEXPORT_API_URL: must be an http\(s\) URL/);
    assert.match(message, /PORTCALL_BACKFILL_MAX_ATTEMPTS: must be at least 1/);
  });
});

describe("events client", () => {
  it("next link to another origin → refused before the token is sent there", async () => {
    const asked: string[] = [];
    const client = createFlexportEventsClient({
      apiUrl: "http://127.0.0.1:9",
      auth: { authorization: async () => "Bearer k", invalidate: () => false },
      retry: DEFAULT_RETRY,
      fetch: async (input) => {
        asked.push(String(input));
        return new Response(page("[]", '"https://elsewhere.example/events?page=2"'));
      },
    });
    await assert.rejects(
      client.fetchPage(client.firstPageUrl({ since: "2024-01-01T00:00:00.000Z" })),
      (error) => {
        assert.ok(error instanceof FlexportApiError);
        assert.match(error.message, /refusing to follow a next link to https:\/\/elsewhere.example/);
        return true;
      },
    );
    await assert.rejects(client.fetchPage("https://elsewhere.example/events"), /refusing/);
    assert.deepEqual(asked, [
      "http://127.0.0.1:9/events?f.occurred_at.gte=2024-01-01T00%3A00%3A00.000Z&per=100",
    ]);
  });
});
