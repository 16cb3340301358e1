import { endOfValue, rawTopLevelMember, skipWhitespace } from "../core/top-level-member.js";

/** One page of `GET /events`: each event's own JSON text, exactly as the API sent it. */
export interface EventsPage {
  readonly events: readonly string[];
  /** The next page's URL as the API wrote it, or null on the last page. */
  readonly next: string | null;
}

export class EventsPageError extends Error {
  override readonly name = "EventsPageError";
}

/**
 * Parses `{_object: "/api/response", data: {_object: "/api/collections/paginated", prev, next,
 * data: [WebhookEvent...]}}` (Flexport API v2, `GET /events`).
 *
 * Why raw texts: re-serialising a parsed event would round ids above 2^53 and change the
 * bytes we promise to keep, so each element is cut out of the response text instead.
 */
export function parseEventsPage(text: string): EventsPage {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new EventsPageError("the events response is not valid JSON");
  }
  const collection = isObject(parsed) ? parsed.data : undefined;
  if (!isObject(collection) || !Array.isArray(collection.data)) {
    throw new EventsPageError(
      'the events response has no "data.data" array (expected a paginated collection)',
    );
  }
  const next = collection.next;
  if (next !== undefined && next !== null && typeof next !== "string") {
    throw new EventsPageError('the events response has a "data.next" that is not a string or null');
  }
  const rawCollection = rawTopLevelMember(text, "data") ?? "";
  const events = rawArrayElements(rawTopLevelMember(rawCollection, "data") ?? "");
  if (events.length !== collection.data.length) {
    throw new EventsPageError("the events response could not be split into its events");
  }
  return { events, next: typeof next === "string" && next.length > 0 ? next : null };
}

/** The source text of each element of a JSON array (already known to be valid JSON). */
export function rawArrayElements(json: string): string[] {
  let i = skipWhitespace(json, 0);
  if (json[i] !== "[") return [];
  i = skipWhitespace(json, i + 1);
  const elements: string[] = [];
  while (i < json.length && json[i] !== "]") {
    let end = endOfValue(json, i);
    // The shared scanner ends a bare scalar at , } or whitespace; in an array "]" ends it too.
    const bracket = json.indexOf("]", i);
    if (!'{["'.includes(json[i] ?? "") && bracket >= 0 && bracket < end) end = bracket;
    elements.push(json.slice(i, end));
    i = skipWhitespace(json, end);
    if (json[i] === ",") i = skipWhitespace(json, i + 1);
  }
  return elements;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
