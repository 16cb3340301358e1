import type { ColdStartResult } from "./cold-start.js";
import type { ProfileSummary } from "./cpu-profile.js";
import type { DrivenRun } from "./drive.js";
import type { PgbenchResult } from "./pgbench.js";
import type { ReplayResult } from "./replay-bench.js";
import type { SqliteFloorResult } from "./sqlite-floor.js";
import type { TargetName } from "./targets.js";

/** The shape of bench/results/<date>.json, shared by the runner and the report. */
export interface BenchResults {
  readonly version: 1;
  readonly date: string;
  /** The commit measured (`git describe --always --dirty`), when the tree is a git checkout. */
  readonly code?: string;
  readonly startedAt: string;
  readonly durationSeconds: number;
  readonly mode: "full" | "quick";
  readonly command: string;
  readonly machine: {
    readonly cpu: string;
    readonly cores: number;
    readonly memoryGiB: number;
    readonly node: string;
    readonly kernel: string;
    readonly loadAverageAtStart: number[];
    readonly loadAverageAtEnd: number[];
  };
  readonly settings: {
    readonly connections: number[];
    readonly warmupSeconds: number;
    readonly seconds: number;
    readonly offeredRate: number;
    readonly rateSeconds: number;
    readonly pool: number;
    readonly traffic: string;
  };
  readonly targets: TargetResult[];
  readonly ratios: Record<string, number | null>;
  /** pgbench's single-row jsonb insert at the fixed rate, when the PostgreSQL target ran. */
  readonly pgbench?: PgbenchResult;
  /** SQLite's own floor at the fixed rate: one fsync-durable row per transaction (bench/sqlite-floor.ts). */
  readonly sqliteFloor?: SqliteFloorResult;
  readonly coldStart: { readonly server: ColdStartResult; readonly function: ColdStartResult };
  readonly replay: ReplayResult | { readonly skipped: string };
  /** The 8 MiB case on SQLite. */
  readonly bigEvents: BigEventsResult;
  /** The same case on PostgreSQL (results before 2026-12-08 lack it). */
  readonly bigEventsPostgres?: BigEventsResult;
  /** Full runs only (and not with --no-profile). */
  readonly profile?: ProfileResult | { readonly skipped: string };
  readonly notes: string[];
}

export interface TargetResult {
  readonly name: TargetName;
  readonly label: string;
  readonly skipped?: string;
  readonly error?: string;
  /** Keys: c<connections> (closed loop) and rate<n> (open loop at n req/s). */
  readonly runs: Record<string, DrivenRun>;
  readonly peakRssMb?: number;
  readonly database?: DatabaseCheck;
  /** The alerts target: whether its alert work was done while it was measured, not after. */
  readonly alerts?: AlertsCheck;
}

export interface AlertsCheck {
  /** The same two counts the moment the 64-connection run (the compared figure) stopped. */
  readonly whenC64Stopped?: { readonly matching: number; readonly sent: number };
  /** Stored events a rule matches (each one alert or forward). */
  readonly matching: number;
  /** Requests the stand-in received by the time the load stopped. */
  readonly sentWhenLoadStopped: number;
  /** From the load stopping until the stand-in had them all (null: not within the wait). */
  readonly caughtUpAfterMs: number | null;
}

export interface DatabaseCheck {
  /** Distinct ids answered 200 "stored". */
  readonly acknowledgedStored: number;
  readonly rows: number;
  /** Acknowledged ids not found in the database: must be 0. */
  readonly missing: number;
}

export interface BigEventsResult {
  readonly skipped?: string;
  readonly error?: string;
  readonly bodyBytes?: number;
  readonly connections?: number;
  readonly run?: DrivenRun;
  readonly peakRssMb?: number;
  readonly database?: DatabaseCheck;
}

export interface ProfileResult {
  readonly connections: number;
  readonly seconds: number;
  readonly requestsPerSecond: number;
  /** One per thread: the main thread, then the SQLite writer and WAL checkpointer threads. */
  readonly threads: ProfileSummary[];
}
