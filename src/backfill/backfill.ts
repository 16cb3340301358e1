import { DEFAULT_ORIGIN, type EventOrigin, verifiedEvent } from "../core/verified-event.js";
import type { EventStore } from "../stores/store.js";
import { type BackfillProgress, createBackfillState, type MissingEvent } from "./backfill-state.js";
import type { EventsQuery, FlexportEventsClient } from "./flexport-events-client.js";

/** The ids listed in the summary (and resume state) stop here; the counts go on. */
export const MAX_LISTED_MISSING = 10_000;

export interface BackfillOptions {
  readonly store: EventStore;
  readonly client: FlexportEventsClient;
  /** Base URL of the API, part of the resume key. */
  readonly apiUrl: string;
  readonly query: EventsQuery;
  /** Report the gap without writing anything (no events, no resume state). */
  readonly dryRun: boolean;
  /** Where resume state is kept. */
  readonly dataDir: string;
  /** Human progress lines (the CLI writes them to stderr). */
  readonly progress?: ((line: string) => void) | undefined;
  /** Aborting stops after the page in hand is stored; a later run resumes from the next one. */
  readonly signal?: AbortSignal | undefined;
  readonly now?: (() => Date) | undefined;
  /** The source the events are recorded under, and how its bodies are read (default: freight). */
  readonly source?: EventOrigin | undefined;
}

export interface BackfillSummary extends Omit<BackfillProgress, "next"> {
  readonly dry_run: boolean;
  /** true when this run continued an interrupted one (counts include the earlier pages). */
  readonly resumed: boolean;
  readonly query: { readonly since: string; readonly until: string | null; readonly type: string | null };
}

export class BackfillInterrupted extends Error {
  override readonly name = "BackfillInterrupted";
}

/**
 * Reads every event Flexport delivered in the window and stores those the database lacks,
 * marked `source = backfill`, so the webhook gap shows in the data. Idempotent: an event
 * already stored (by webhook or an earlier backfill) is left exactly as it is.
 */
export async function runBackfill(options: BackfillOptions): Promise<BackfillSummary> {
  const { store, client, query } = options;
  const source = options.source ?? DEFAULT_ORIGIN;
  const say = options.progress ?? (() => undefined);
  const now = options.now ?? (() => new Date());
  const key = {
    apiUrl: options.apiUrl,
    since: query.since,
    until: query.until ?? null,
    type: query.type ?? null,
  };
  // A dry run keeps no state: resuming it would lose the list of ids found on earlier pages.
  const state = options.dryRun ? undefined : createBackfillState(options.dataDir, key);
  const saved = state?.load();
  const progress: BackfillProgress = saved ?? {
    next: client.firstPageUrl(query),
    pages: 0,
    fetched: 0,
    present: 0,
    missing: 0,
    invalid: 0,
    outside: 0,
    by_type: {},
    missing_events: [],
  };
  if (saved) say(`resuming after page ${saved.pages} (${saved.fetched} events already read)`);
  const seen = new Set<string>();
  const sinceMs = Date.parse(query.since);
  const untilMs = query.until === undefined ? Number.POSITIVE_INFINITY : Date.parse(query.until);

  while (progress.next !== null) {
    if (options.signal?.aborted) {
      throw new BackfillInterrupted(
        `interrupted after page ${progress.pages}; run the same command again to resume`,
      );
    }
    const page = await client.fetchPage(progress.next);
    const receivedAt = now();
    const work: Promise<void>[] = [];
    for (const text of page.events) {
      const parsed = verifiedEvent(Buffer.from(text, "utf8"), null, "backfill", source);
      if (!parsed.ok) {
        progress.invalid++;
        say(`page ${progress.pages + 1}: skipped an element that is not a usable event (${parsed.message})`);
        continue;
      }
      const { event } = parsed;
      // The filters are applied again here in case the API ignores one of them.
      const occurred = event.occurredAt === null ? Number.NaN : Date.parse(event.occurredAt);
      const inWindow = !(occurred < sinceMs || occurred > untilMs);
      if ((query.type !== undefined && event.type !== query.type) || !inWindow) {
        progress.outside++;
        continue;
      }
      // Offset pagination can repeat an event on two pages while new ones arrive.
      if (seen.has(event.id)) continue;
      seen.add(event.id);
      progress.fetched++;
      const counts = progress.by_type[event.type] ?? { fetched: 0, present: 0, missing: 0 };
      progress.by_type[event.type] = counts;
      counts.fetched++;
      const missing: MissingEvent = { id: event.id, type: event.type, occurred_at: event.occurredAt };
      const stored = options.dryRun
        ? store.getEvent(event.id).then((found) => found === undefined)
        : store.insertIfAbsent(event, receivedAt);
      work.push(
        stored.then((wasMissing) => {
          if (wasMissing) {
            progress.missing++;
            counts.missing++;
            if (progress.missing_events.length < MAX_LISTED_MISSING) progress.missing_events.push(missing);
          } else {
            progress.present++;
            counts.present++;
          }
        }),
      );
    }
    // All of a page's writes go together, so the store can group-commit them.
    await Promise.all(work);
    progress.pages++;
    progress.next = page.next;
    if (progress.next !== null) state?.save(progress);
    say(
      `page ${progress.pages}: ${page.events.length} events; so far ${progress.fetched} read, ` +
        `${progress.present} already stored, ${progress.missing} ${options.dryRun ? "missing" : "inserted"}`,
    );
  }
  state?.remove();
  progress.missing_events.sort(
    (a, b) => (a.occurred_at ?? "").localeCompare(b.occurred_at ?? "") || a.id.localeCompare(b.id),
  );
  const { next: _next, ...totals } = progress;
  return {
    ...totals,
    dry_run: options.dryRun,
    resumed: saved !== undefined,
    query: { since: key.since, until: key.until, type: key.type },
  };
}
