/**
 * `--since` / `--until` as every command reads them: a date (YYYY-MM-DD) is a whole UTC
 * day, so `--until 2024-03-31` includes all of March 31; an ISO-8601 time is that instant.
 * Both bounds are inclusive. Messages name the option.
 */
export interface TimeBound {
  /** The first (since) or last (until) millisecond included. */
  readonly ms: number;
  /** The same instant as ISO-8601 UTC. */
  readonly iso: string;
  /** The UTC day the instant falls on, YYYY-MM-DD. */
  readonly date: string;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DAY_MS = 86_400_000;

export function sinceBound(name: string, value: string): TimeBound {
  return bound(parse(name, value));
}

export function untilBound(name: string, value: string): TimeBound {
  const ms = parse(name, value);
  return bound(DATE.test(value) ? ms + DAY_MS - 1 : ms);
}

/** Both bounds, checked against each other. */
export function timeBounds(
  since: string | undefined,
  until: string | undefined,
): { readonly since?: TimeBound; readonly until?: TimeBound } {
  const from = since === undefined ? undefined : sinceBound("--since", since);
  const to = until === undefined ? undefined : untilBound("--until", until);
  if (from !== undefined && to !== undefined && to.ms < from.ms) {
    throw new TimeBoundError(`--until (${until}) is before --since (${since})`);
  }
  return { ...(from ? { since: from } : {}), ...(to ? { until: to } : {}) };
}

export class TimeBoundError extends Error {
  override readonly name = "TimeBoundError";
}

function parse(name: string, value: string): number {
  const ms = Date.parse(DATE.test(value) ? `${value}T00:00:00Z` : value);
  if (Number.isNaN(ms)) {
    throw new TimeBoundError(`${name}: "${value}" is not an ISO-8601 date (YYYY-MM-DD) or time`);
  }
  return ms;
}

function bound(ms: number): TimeBound {
  const iso = new Date(ms).toISOString();
  return { ms, iso, date: iso.slice(0, 10) };
}
