/** Messages between the orchestrator (bench/run.ts) and the load generator child (bench/load-worker.ts). */

export interface TrafficSpec {
  readonly idBase: number;
  readonly seed: number;
  readonly secret: string;
  /** Unique deliveries pre-generated; the run wraps around (and says so) if it sends more. */
  readonly pool: number;
  readonly fixedBytes?: number;
  readonly redeliveryRate?: number;
  readonly badSignatureRate?: number;
}

/** Closed loop: `connections` each keep one request in flight (autocannon). */
export interface ClosedLoopJob {
  readonly mode: "closed";
  readonly url: string;
  readonly connections: number;
  readonly warmupSeconds: number;
  readonly seconds: number;
  /** Stop after this many requests instead of after `seconds` (the 8 MiB case). */
  readonly amount?: number;
  readonly traffic: TrafficSpec;
}

/** Open loop: requests leave on a fixed schedule whether or not earlier ones were answered. */
export interface OpenLoopJob {
  readonly mode: "open";
  readonly url: string;
  readonly rate: number;
  readonly seconds: number;
  /** Requests in flight beyond this are not sent but counted as dropped, so memory stays bounded. */
  readonly maxInFlight: number;
  readonly traffic: TrafficSpec;
}

export type LoadJob = ClosedLoopJob | OpenLoopJob;

export interface LatencySummary {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly p99_9: number;
  readonly max: number;
  readonly mean: number;
}

export interface LoadResult {
  readonly mode: "closed" | "open";
  readonly seconds: number;
  readonly requests: number;
  readonly requestsPerSecond: number;
  /** Milliseconds, of 2xx responses. Closed loop: autocannon's histogram (1 ms resolution). */
  readonly latencyMs: LatencySummary;
  readonly statusCounts: Record<string, number>;
  readonly errors: number;
  readonly timeouts: number;
  /** Deliveries sent again because the pre-generated pool ran out (they count as redeliveries). */
  readonly wrapped: number;
  readonly dropped?: number;
  readonly offeredRate?: number;
  /** Ids answered 200 "stored", for the database check. */
  readonly storedIds: string[];
  readonly duplicateAnswers: number;
  readonly sentKinds: Record<string, number>;
}

export type WorkerMessage =
  | { readonly type: "generated"; readonly deliveries: number; readonly bytes: number; readonly ms: number }
  | { readonly type: "measuring" }
  | { readonly type: "result"; readonly result: LoadResult }
  | { readonly type: "error"; readonly message: string };

export type ParentMessage = { readonly type: "job"; readonly job: LoadJob } | { readonly type: "go" };
