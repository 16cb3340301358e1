import { rawTopLevelMember } from "../core/top-level-member.js";
import { type EventsPage, EventsPageError, rawArrayElements } from "./events-page.js";
import type { FlexportAuth } from "./flexport-auth.js";
import type { EventsQuery, FlexportEventsClient } from "./flexport-events-client.js";
import { createListFetcher } from "./list-fetcher.js";
import type { RetryOptions } from "./retry.js";

/** The Logistics API list endpoint takes 1 to 100 items per page (`limit`). */
export const LOGISTICS_EVENTS_PER_PAGE = 100;

export interface LogisticsEventsClientOptions {
  /** e.g. https://logistics-api.flexport.com/logistics/api/2024-07 (no trailing slash). */
  readonly apiUrl: string;
  readonly auth: FlexportAuth;
  readonly retry: RetryOptions;
  readonly perPage?: number;
  readonly fetch?: typeof fetch;
}

/**
 * `GET /logistics/api/<version>/events?type&after&limit&page_info`, bearer token. Each item is
 * `{id, type, time, payload}`; fetchPage hands back the pushed form of each (see
 * toPushedForm), so a backfilled event and a later webhook of it share one key.
 */
export function createLogisticsEventsClient(options: LogisticsEventsClientOptions): FlexportEventsClient {
  const base = new URL(`${options.apiUrl}/`);
  const fetchPage = createListFetcher({
    ...options,
    what: "GET /events (Logistics API)",
    urlVariable: "FLEXPORT_LOGISTICS_API_URL",
    credentialHint: "FLEXPORT_LOGISTICS_API_TOKEN",
    parse: (text, headers) => parseLogisticsEventsPage(text, headers, base),
  });
  return {
    firstPageUrl(query: EventsQuery) {
      const url = new URL("events", base);
      url.searchParams.set("after", query.since);
      if (query.type !== undefined) url.searchParams.set("type", query.type);
      url.searchParams.set("limit", String(options.perPage ?? LOGISTICS_EVENTS_PER_PAGE));
      return url.toString();
    },
    fetchPage,
  };
}

/**
 * The response is a bare JSON array. The reference documents `page_info` as a request
 * parameter but not where the next value comes from; portcall follows a `Link: <…>;
 * rel="next"` header (the usual carrier of a `page_info` cursor) and stops without one.
 */
export function parseLogisticsEventsPage(text: string, headers: Headers, base: URL): EventsPage {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new EventsPageError("the events response is not valid JSON");
  }
  if (!Array.isArray(parsed)) throw new EventsPageError("the events response is not a JSON array");
  const items = rawArrayElements(text);
  if (items.length !== parsed.length) {
    throw new EventsPageError("the events response could not be split into its events");
  }
  // An item that cannot be mapped is passed on as is: the backfill counts it as invalid.
  const events = items.map((item) => toPushedForm(item) ?? item);
  return { events, next: nextLink(headers.get("link"), base) };
}

/**
 * A list item `{id, type, time, payload}` as the webhook would have pushed it: the payload's
 * exact text. The reference types `payload` as the event's body, which is what a push
 * carries; so a later push of the same event has the same `logisticsEventId` (or, for a
 * body without one, the same bytes and so the same hash key) and is counted as a duplicate.
 * The item's own `id`, `type` and `time` are not added: that would change the bytes.
 */
export function toPushedForm(item: string): string | undefined {
  let value: unknown;
  try {
    value = JSON.parse(item);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const payload = (value as Record<string, unknown>).payload;
  if (typeof payload !== "object" || payload === null || Array.isArray(payload)) return undefined;
  return rawTopLevelMember(item, "payload");
}

function nextLink(link: string | null, base: URL): string | null {
  if (link === null) return null;
  for (const part of link.split(",")) {
    const match = /^\s*<([^>]+)>\s*;(.*)$/.exec(part);
    if (match?.[2] !== undefined && /\brel="?next"?/i.test(match[2])) {
      return new URL(match[1] ?? "", base).toString();
    }
  }
  return null;
}
