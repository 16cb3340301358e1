import { type EventsPage, parseEventsPage } from "./events-page.js";
import type { FlexportAuth } from "./flexport-auth.js";
import { createListFetcher } from "./list-fetcher.js";
import type { RetryOptions } from "./retry.js";

/** The API version Flexport selects with the `Flexport-Version` header. */
export const FLEXPORT_API_VERSION = "2";
/** Flexport's list endpoints accept 1 to 100 items per page. */
export const EVENTS_PER_PAGE = 100;

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
  const base = new URL(`${options.apiUrl}/`);
  const fetchPage = createListFetcher({
    ...options,
    headers: { "flexport-version": FLEXPORT_API_VERSION },
    what: "GET /events",
    urlVariable: "FLEXPORT_API_URL",
    credentialHint: "FLEXPORT_API_TOKEN (or FLEXPORT_CLIENT_ID/FLEXPORT_CLIENT_SECRET)",
    parse: (text) => parseEventsPage(text),
  });
  return {
    firstPageUrl(query) {
      const url = new URL("events", base);
      url.searchParams.set("f.occurred_at.gte", query.since);
      if (query.until !== undefined) url.searchParams.set("f.occurred_at.lte", query.until);
      if (query.type !== undefined) url.searchParams.set("f.type", query.type);
      url.searchParams.set("per", String(options.perPage ?? EVENTS_PER_PAGE));
      return url.toString();
    },
    fetchPage,
  };
}
