import { type EventsPage, EventsPageError, parseEventsPage } from "./events-page.js";
import type { FlexportAuth } from "./flexport-auth.js";
import { FlexportApiError, fetchWithRetry, type RetryOptions } from "./retry.js";

/** The API version Flexport selects with the `Flexport-Version` header. */
export const FLEXPORT_API_VERSION = "2";
/** Flexport's list endpoints accept 1 to 100 items per page. */
export const EVENTS_PER_PAGE = 100;

const NULL_BODY_STATUS = new Set([204, 205, 304]);

export interface EventsQuery {
  /** Inclusive, ISO-8601. */
  readonly since: string;
  readonly until?: string | undefined;
  readonly type?: string | undefined;
}

export interface FlexportEventsClient {
  firstPageUrl(query: EventsQuery): string;
  /** Fetches one page (retrying as configured) and cuts it into its events' raw texts. */
  fetchPage(url: string): Promise<EventsPage>;
}

export interface FlexportEventsClientOptions {
  readonly apiUrl: string;
  readonly auth: FlexportAuth;
  readonly retry: RetryOptions;
  readonly perPage?: number;
  readonly fetch?: typeof fetch;
}

export function createFlexportEventsClient(options: FlexportEventsClientOptions): FlexportEventsClient {
  const doFetch = options.fetch ?? fetch;
  const base = new URL(`${options.apiUrl}/`);

  async function get(url: string, authorization: string): Promise<Response> {
    return fetchWithRetry(
      `GET ${new URL(url).pathname}`,
      async () => {
        const response = await doFetch(url, {
          headers: {
            authorization: authorization,
            "flexport-version": FLEXPORT_API_VERSION,
            accept: "application/json",
          },
          signal: AbortSignal.timeout(60_000),
        });
        // Read the body here, so a connection lost or timed out mid-body is retried too.
        const body = await response.arrayBuffer();
        return new Response(NULL_BODY_STATUS.has(response.status) ? null : body, {
          status: response.status,
          headers: response.headers,
        });
      },
      options.retry,
    );
  }

  return {
    firstPageUrl(query) {
      const url = new URL("events", base);
      url.searchParams.set("f.occurred_at.gte", query.since);
      if (query.until !== undefined) url.searchParams.set("f.occurred_at.lte", query.until);
      if (query.type !== undefined) url.searchParams.set("f.type", query.type);
      url.searchParams.set("per", String(options.perPage ?? EVENTS_PER_PAGE));
      return url.toString();
    },

    async fetchPage(pageUrl) {
      const url = followable(pageUrl, base);
      let response = await get(url, await options.auth.authorization());
      // An OAuth token can be revoked before it expires: fetch a new one, once.
      if (response.status === 401 && options.auth.invalidate()) {
        await response.body?.cancel();
        response = await get(url, await options.auth.authorization());
      }
      const text = await response.text();
      if (response.status === 401 || response.status === 403) {
        throw new FlexportApiError(
          `GET /events: HTTP ${response.status}; check FLEXPORT_API_TOKEN (or FLEXPORT_CLIENT_ID/FLEXPORT_CLIENT_SECRET)`,
          response.status,
        );
      }
      if (!response.ok) {
        throw new FlexportApiError(
          `GET /events: HTTP ${response.status}: ${text.slice(0, 200).replace(/\s+/g, " ")}`,
          response.status,
        );
      }
      let page: EventsPage;
      try {
        page = parseEventsPage(text);
      } catch (error) {
        if (error instanceof EventsPageError)
          throw new FlexportApiError(`GET /events: ${error.message}`, 200);
        throw error;
      }
      return { events: page.events, next: page.next === null ? null : followable(page.next, base) };
    },
  };
}

/** The token must never be sent to another host, whatever a `next` link or a state file says. */
function followable(next: string, base: URL): string {
  const url = new URL(next, base);
  if (url.origin !== base.origin) {
    throw new FlexportApiError(
      `GET /events: refusing to follow a next link to ${url.origin} (FLEXPORT_API_URL is ${base.origin})`,
      200,
    );
  }
  return url.toString();
}
