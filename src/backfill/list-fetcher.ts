import type { EventsPage } from "./events-page.js";
import type { FlexportAuth } from "./flexport-auth.js";
import { FlexportApiError, fetchWithRetry, type RetryOptions } from "./retry.js";

const NULL_BODY_STATUS = new Set([204, 205, 304]);

export interface ListFetcherOptions {
  readonly apiUrl: string;
  readonly auth: FlexportAuth;
  readonly retry: RetryOptions;
  readonly fetch?: typeof fetch;
  /** Extra request headers (the API version header of the freight API). */
  readonly headers?: Readonly<Record<string, string>>;
  /** How errors name the endpoint, e.g. "GET /events". */
  readonly what: string;
  /** The variable holding the base URL, for the message about a foreign next link. */
  readonly urlVariable: string;
  /** Which variables hold the credential, for the 401 message. */
  readonly credentialHint: string;
  /** Cuts a 200 response into its events; throws a message-only Error for a malformed one. */
  parse(text: string, headers: Headers): EventsPage;
}

/**
 * Fetches one page of an events list: the retries, the rate-limit waits and the one token
 * refresh after a 401 are those of every Flexport list endpoint, freight or Logistics API.
 */
export function createListFetcher(options: ListFetcherOptions): (pageUrl: string) => Promise<EventsPage> {
  const doFetch = options.fetch ?? fetch;
  const base = new URL(`${options.apiUrl}/`);

  async function get(url: string, authorization: string): Promise<Response> {
    return fetchWithRetry(
      `GET ${new URL(url).pathname}`,
      async () => {
        const response = await doFetch(url, {
          headers: { authorization, accept: "application/json", ...options.headers },
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

  return async (pageUrl) => {
    const url = followable(pageUrl, base, options);
    let response = await get(url, await options.auth.authorization());
    // An OAuth token can be revoked before it expires: fetch a new one, once.
    if (response.status === 401 && options.auth.invalidate()) {
      await response.body?.cancel();
      response = await get(url, await options.auth.authorization());
    }
    const text = await response.text();
    if (response.status === 401 || response.status === 403) {
      throw new FlexportApiError(
        `${options.what}: HTTP ${response.status}; check ${options.credentialHint}`,
        response.status,
      );
    }
    if (!response.ok) {
      throw new FlexportApiError(
        `${options.what}: HTTP ${response.status}: ${text.slice(0, 200).replace(/\s+/g, " ")}`,
        response.status,
      );
    }
    let page: EventsPage;
    try {
      page = options.parse(text, response.headers);
    } catch (error) {
      throw new FlexportApiError(`${options.what}: ${(error as Error).message}`, 200);
    }
    return {
      events: page.events,
      next: page.next === null ? null : followable(page.next, base, options),
    };
  };
}

/** The token must never be sent to another host, whatever a `next` link or a state file says. */
function followable(next: string, base: URL, names: { what: string; urlVariable: string }): string {
  const url = new URL(next, base);
  if (url.origin !== base.origin) {
    throw new FlexportApiError(
      `${names.what}: refusing to follow a next link to ${url.origin} (${names.urlVariable} is ${base.origin})`,
      200,
    );
  }
  return url.toString();
}
