import { type Archive, type ArchivedObject, type ArchiveEntry, idFromKey } from "../archive/archive.js";
import { LOGISTICS_ID_PREFIX } from "../core/envelope.js";
import { DEFAULT_SOURCE } from "../core/event-recorder.js";
import { signatureAlgorithmOf, verifiedEvent } from "../core/verified-event.js";
import type { EventStore } from "../stores/store.js";
import { timeBounds } from "../time-bounds.js";

export interface ReplayCounts {
  /** Objects read from the archive within the range. */
  read: number;
  inserted: number;
  alreadyPresent: number;
  /** Objects that are not a valid event, or whose bytes or key disagree with their metadata. */
  invalid: number;
  /** Objects in an edge partition whose received_at lies outside a time-of-day bound. */
  outsideRange: number;
  /** Objects without metadata: received_at taken as the start of their dt= day. */
  withoutMetadata: number;
}

export interface ReplayProblem {
  readonly key: string;
  readonly reason: string;
}

export interface ReplaySummary extends ReplayCounts {
  /** The first problems found (at most MAX_PROBLEMS); `invalid` has the full count. */
  readonly problems: ReplayProblem[];
  readonly seconds: number;
}

export interface ReplayRange {
  /** YYYY-MM-DD partitions to read, inclusive. */
  readonly sinceDate?: string;
  readonly untilDate?: string;
  /** received_at bounds in ms: [fromMs, toMs). */
  readonly fromMs?: number;
  readonly toMs?: number;
}

export interface ReplayOptions {
  readonly archive: Archive;
  readonly store: Pick<EventStore, "insertIfAbsent">;
  readonly range?: ReplayRange;
  /**
   * Objects read and written at once. The stores group-commit whatever is in flight, so
   * a wide window turns many small inserts into few large commits.
   */
  readonly concurrency?: number;
  /** Called after each object; cheap to call, so throttle on the other side. */
  readonly onProgress?: (counts: Readonly<ReplayCounts>) => void;
  /** The source the archive (or its `source=<name>/` prefix) holds; default: the default source. */
  readonly sourceName?: string;
}

export const DEFAULT_CONCURRENCY = 1024;
export const MAX_PROBLEMS = 100;

/** `--since`/`--until` (see time-bounds.ts) as archive partitions and received_at bounds. */
export function parseReplayRange(since: string | undefined, until: string | undefined): ReplayRange {
  const bounds = timeBounds(since, until);
  return {
    ...(bounds.since !== undefined ? { sinceDate: bounds.since.date, fromMs: bounds.since.ms } : {}),
    ...(bounds.until !== undefined ? { untilDate: bounds.until.date, toMs: bounds.until.ms + 1 } : {}),
  };
}

/**
 * Loads archived events into a store with insertIfAbsent: an event already there (same
 * id) is left as it is, so a replay can be repeated or interrupted and run again. Each
 * event keeps its original received_at and signature algorithm from the archive metadata.
 */
export async function replay(options: ReplayOptions): Promise<ReplaySummary> {
  const { archive, store } = options;
  const range = options.range ?? {};
  const concurrency = options.concurrency ?? archive.readConcurrency ?? DEFAULT_CONCURRENCY;
  const counts: ReplayCounts = {
    read: 0,
    inserted: 0,
    alreadyPresent: 0,
    invalid: 0,
    outsideRange: 0,
    withoutMetadata: 0,
  };
  const problems: ReplayProblem[] = [];
  const started = process.hrtime.bigint();

  /** The event an archived object holds, or why it is not a valid one. */
  function check(entry: ArchiveEntry, object: ArchivedObject) {
    const metadata = object.metadata;
    const keyId = idFromKey(entry.key);
    // The id says which API a body belongs to: Logistics API ids are namespaced.
    const api = keyId?.startsWith(LOGISTICS_ID_PREFIX) ? "logistics" : "freight";
    const parsed = verifiedEvent(
      object.payload,
      signatureAlgorithmOf(metadata?.signatureAlg ?? null),
      "replay",
      {
        sourceName: options.sourceName ?? DEFAULT_SOURCE,
        api,
      },
    );
    if (!parsed.ok) return `${parsed.problem}: ${parsed.message}`;
    const { event } = parsed;
    if (metadata !== null && metadata.payloadSha256 !== event.payloadSha256) {
      return `bytes do not match the archived sha256 ${metadata.payloadSha256}`;
    }
    if (keyId !== event.id) return `the key names id ${keyId ?? "(none)"} but the body has id ${event.id}`;
    const receivedMs = Date.parse(metadata?.receivedAt ?? `${entry.date}T00:00:00Z`);
    if (Number.isNaN(receivedMs)) return `received_at "${metadata?.receivedAt}" is not a time`;
    return { event, receivedMs };
  }

  async function replayOne(entry: ArchiveEntry): Promise<void> {
    let checked: ReturnType<typeof check> | undefined;
    let metadata = entry.metadata ?? null;
    if (entry.payload !== undefined && entry.metadata != null) {
      checked = check(entry, { payload: entry.payload, metadata: entry.metadata });
      // A copy from a day pack that does not check out: the object itself decides.
      if (typeof checked === "string") checked = undefined;
    }
    if (checked === undefined) {
      // Cloud Storage lists metadata with the names: then one request per object, not two.
      const object =
        entry.metadata !== undefined && entry.payload === undefined
          ? { payload: await archive.get(entry.key), metadata: entry.metadata }
          : await archive.read(entry.key);
      metadata = object.metadata;
      checked = check(entry, object);
    }
    if (typeof checked === "string") {
      counts.invalid += 1;
      if (problems.length < MAX_PROBLEMS) problems.push({ key: entry.key, reason: checked });
      return;
    }
    const { event, receivedMs } = checked;
    if (metadata === null) counts.withoutMetadata += 1;
    if (
      (range.fromMs !== undefined && receivedMs < range.fromMs) ||
      (range.toMs !== undefined && receivedMs >= range.toMs)
    ) {
      counts.outsideRange += 1;
      return;
    }
    if (await store.insertIfAbsent(event, new Date(receivedMs))) counts.inserted += 1;
    else counts.alreadyPresent += 1;
  }

  let inFlight = 0;
  const sameId = new Map<string, Promise<void>>();
  let failure: { error: unknown } | undefined;
  let wake: (() => void) | undefined;
  const settled = () => {
    inFlight -= 1;
    options.onProgress?.(counts);
    wake?.();
    wake = undefined;
  };
  const waitForRoom = (limit: number) =>
    new Promise<void>((resolve) => {
      if (inFlight <= limit) resolve();
      else wake = resolve;
    });

  const bounds = {
    ...(range.sinceDate !== undefined ? { since: range.sinceDate } : {}),
    ...(range.untilDate !== undefined ? { until: range.untilDate } : {}),
  };
  // readAll where the archive has it: a file: archive's day packs save two opens per event.
  for await (const entry of archive.readAll?.(bounds) ?? archive.list(bounds)) {
    while (inFlight >= concurrency) await waitForRoom(concurrency - 1);
    if (failure !== undefined) break;
    counts.read += 1;
    inFlight += 1;
    // A redelivery on a later day is a second object with the same id. Reads finish in
    // any order, so such objects run one after the other, in listing (date) order, and
    // the earliest received is the one inserted.
    const id = idFromKey(entry.key) ?? entry.key;
    const before = sameId.get(id);
    const done: Promise<void> = (
      before === undefined ? replayOne(entry) : before.then(() => replayOne(entry))
    )
      .then(settled, (error: unknown) => {
        failure ??= {
          error: new Error(`replay of ${entry.key} failed: ${errorText(error)}`, { cause: error }),
        };
        settled();
      })
      .finally(() => {
        if (sameId.get(id) === done) sameId.delete(id);
      });
    sameId.set(id, done);
  }
  while (inFlight > 0) await waitForRoom(0);
  if (failure !== undefined) throw failure.error;
  return { ...counts, problems, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
