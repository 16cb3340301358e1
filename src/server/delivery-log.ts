import type { DeliveryOutcome } from "../core/receive.js";

export const DELIVERY_OUTCOMES = [
  "stored",
  "duplicate",
  "conflict",
  "quarantined",
  "unauthorized",
  "too_large",
  "store_unavailable",
] as const satisfies readonly DeliveryOutcome[];

export interface DeliveryBucket {
  /** Start of the bucket, ISO-8601 UTC. */
  readonly start: string;
  readonly counts: Readonly<Record<DeliveryOutcome, number>>;
}

/**
 * Deliveries per outcome in fixed time buckets, kept in memory by this process (the store
 * keeps events and rejects, not 401s or 503s). Bounded: only the last `buckets` buckets.
 */
export class DeliveryLog {
  private readonly counts = new Map<number, Record<DeliveryOutcome, number>>();
  private last: { at: string; outcome: DeliveryOutcome } | undefined;
  readonly startedAt: string;

  constructor(
    readonly bucketMs = 10 * 60 * 1000,
    readonly buckets = 144,
    private readonly now: () => number = Date.now,
  ) {
    this.startedAt = new Date(now()).toISOString();
  }

  add(outcome: DeliveryOutcome): void {
    const at = this.now();
    const key = Math.floor(at / this.bucketMs);
    let bucket = this.counts.get(key);
    if (bucket === undefined) {
      bucket = emptyCounts();
      this.counts.set(key, bucket);
      for (const old of this.counts.keys()) if (old <= key - this.buckets) this.counts.delete(old);
    }
    bucket[outcome] += 1;
    this.last = { at: new Date(at).toISOString(), outcome };
  }

  /** The latest delivery this process answered, whatever its outcome. */
  lastDelivery(): { at: string; outcome: DeliveryOutcome } | undefined {
    return this.last;
  }

  /** Every bucket from the first with a delivery (within the window) to now, oldest first. */
  series(): DeliveryBucket[] {
    const nowKey = Math.floor(this.now() / this.bucketMs);
    const keys = [...this.counts.keys()].filter((k) => k > nowKey - this.buckets);
    if (keys.length === 0) return [];
    const first = Math.min(...keys);
    const series: DeliveryBucket[] = [];
    for (let key = first; key <= nowKey; key += 1) {
      series.push({
        start: new Date(key * this.bucketMs).toISOString(),
        counts: this.counts.get(key) ?? emptyCounts(),
      });
    }
    return series;
  }
}

function emptyCounts(): Record<DeliveryOutcome, number> {
  return Object.fromEntries(DELIVERY_OUTCOMES.map((o) => [o, 0])) as Record<DeliveryOutcome, number>;
}
