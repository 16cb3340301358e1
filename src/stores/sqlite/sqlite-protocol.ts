import type { Write, WriteResult } from "../writes.js";

/** Messages between SqliteStore (main thread) and its writer worker. */

export type WriterRequest =
  | { readonly seq: number; readonly kind: "batch"; readonly writes: Write[] }
  | { readonly seq: number; readonly kind: "ping" }
  /** Fold the dashboard's summaries between batches (on) or stop (off). */
  | { readonly seq: number; readonly kind: "summaries"; readonly enabled: boolean }
  | { readonly seq: number; readonly kind: "close" };

export type WriterReply =
  | { readonly seq: number; readonly kind: "batch"; readonly results: WriteResult[] }
  | { readonly seq: number; readonly kind: "ok" }
  | { readonly seq: number; readonly kind: "error"; readonly error: string }
  /** Unasked: folding the summaries failed (it retries later); seq is 0. */
  | { readonly seq: number; readonly kind: "summary_error"; readonly error: string };

export interface WriterData {
  readonly filename: string;
  readonly busyTimeoutMs: number;
  /**
   * One Int32 shared by the checkpointer and the writer: the checkpointer sets it to 1 when
   * the WAL should restart, the writer restarts it between two batches and sets it to 0.
   */
  readonly restartWal: SharedArrayBuffer;
  /** Whether a restarted writer goes on folding the dashboard's summaries. */
  readonly foldSummaries: boolean;
}
