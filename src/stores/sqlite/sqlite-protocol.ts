import type { Write, WriteResult } from "../writes.js";

/** Messages between SqliteStore (main thread) and its writer worker. */

export type WriterRequest =
  | { readonly seq: number; readonly kind: "batch"; readonly writes: Write[] }
  | { readonly seq: number; readonly kind: "ping" }
  | { readonly seq: number; readonly kind: "close" };

export type WriterReply =
  | { readonly seq: number; readonly kind: "batch"; readonly results: WriteResult[] }
  | { readonly seq: number; readonly kind: "ok" }
  | { readonly seq: number; readonly kind: "error"; readonly error: string };

export interface WriterData {
  readonly filename: string;
  readonly busyTimeoutMs: number;
}
