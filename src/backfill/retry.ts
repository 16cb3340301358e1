/** Options for talking to an API that rate-limits (429) and sometimes fails (5xx, network). */
export interface RetryOptions {
  /** Attempts in all, including the first. */
  readonly maxAttempts: number;
  /** First backoff; doubles per attempt, with jitter. */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** A Retry-After longer than this fails the run instead of sleeping for it. */
  readonly maxRetryAfterMs: number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly random: () => number;
  readonly now: () => number;
  readonly onRetry?: ((info: RetryInfo) => void) | undefined;
}

export interface RetryInfo {
  /** What failed, e.g. "HTTP 503" or "network error: ECONNRESET". */
  readonly reason: string;
  readonly attempt: number;
  readonly maxAttempts: number;
  readonly waitMs: number;
}

export const DEFAULT_RETRY: RetryOptions = {
  maxAttempts: 6,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  maxRetryAfterMs: 15 * 60_000,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: Math.random,
  now: Date.now,
};

/** A request that could not be completed; the message says why, without credentials. */
export class FlexportApiError extends Error {
  override readonly name = "FlexportApiError";
  constructor(
    message: string,
    readonly status: number | undefined,
  ) {
    super(message);
  }
}

/**
 * Runs `request` until it returns a response that is not 429 or 5xx, or attempts run out.
 * 429 waits for Retry-After when given (RFC 9110 §10.2.3: seconds or an HTTP date);
 * otherwise waits back off exponentially with jitter, so many clients do not retry in step.
 */
export async function fetchWithRetry(
  what: string,
  request: () => Promise<Response>,
  options: RetryOptions,
): Promise<Response> {
  for (let attempt = 1; ; attempt++) {
    let reason: string;
    let waitMs = backoffMs(attempt, options);
    try {
      const response = await request();
      if (response.status !== 429 && response.status < 500) return response;
      await response.body?.cancel();
      reason = `HTTP ${response.status}`;
      const retryAfter =
        response.status === 429
          ? retryAfterMs(response.headers.get("retry-after"), options.now())
          : undefined;
      if (retryAfter !== undefined) {
        if (retryAfter > options.maxRetryAfterMs) {
          throw new FlexportApiError(
            `${what}: Flexport asked to retry after ${Math.ceil(retryAfter / 1000)} s, longer than the ${Math.ceil(options.maxRetryAfterMs / 1000)} s limit; run again later`,
            429,
          );
        }
        waitMs = retryAfter;
      }
    } catch (error) {
      if (error instanceof FlexportApiError) throw error;
      reason = `network error: ${describeNetworkError(error)}`;
    }
    if (attempt >= options.maxAttempts) {
      throw new FlexportApiError(`${what}: gave up after ${attempt} attempts (last: ${reason})`, undefined);
    }
    options.onRetry?.({ reason, attempt, maxAttempts: options.maxAttempts, waitMs });
    await options.sleep(waitMs);
  }
}

/** Equal jitter: half the doubled delay is fixed, half random, capped at maxDelayMs. */
export function backoffMs(
  attempt: number,
  options: Pick<RetryOptions, "baseDelayMs" | "maxDelayMs" | "random">,
): number {
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + (options.random() * ceiling) / 2);
}

/** Milliseconds to wait from a Retry-After header (delay-seconds or HTTP-date), if usable. */
export function retryAfterMs(header: string | null, nowMs: number): number | undefined {
  if (header === null) return undefined;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}

function describeNetworkError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // fetch wraps the socket error: "fetch failed" with the useful part in `cause`.
  const cause = error.cause;
  if (cause instanceof Error) {
    const code = (cause as NodeJS.ErrnoException).code;
    return code ?? cause.message;
  }
  return error.name === "TimeoutError" ? "timed out" : error.message;
}
