/**
 * A raw-event archive: one object per event, holding the exact bytes received, at
 * `<prefix>/dt=<YYYY-MM-DD of received_at>/<event id>.json` (Hive-style partitions, so
 * BigQuery external tables and load jobs read it directly). Implementations: `file:` and
 * `gs://`. Writes are create-only: an existing object is a redelivery, never overwritten.
 */
export interface ArchivedEvent {
  readonly id: string;
  readonly type: string;
  readonly occurredAt: string | null;
  readonly createdAt: string | null;
  /** ISO-8601 UTC; decides the dt= partition. */
  readonly receivedAt: string;
  readonly signatureAlg: string | null;
  /** The exact bytes received. */
  readonly payload: Uint8Array;
  readonly payloadSha256: string;
}

export interface ArchiveEntry {
  /** Object key relative to the archive root, e.g. `dt=2024-03-04/7100001.json`. */
  readonly key: string;
  /** The dt= partition date, YYYY-MM-DD. */
  readonly date: string;
}

export type PutResult = "created" | "exists";

export interface Archive {
  /** A readable description for logs (never credentials). */
  readonly description: string;
  /** Creates the object; resolves "exists" (not an error) when it is already there. */
  put(event: ArchivedEvent): Promise<PutResult>;
  /** Objects whose dt= partition lies in [since, until] (inclusive, YYYY-MM-DD), in key order. */
  list(range: { readonly since?: string; readonly until?: string }): AsyncIterable<ArchiveEntry>;
  /** The exact bytes of one object. */
  get(key: string): Promise<Uint8Array>;
}

/** `dt=<YYYY-MM-DD>/<id>.json`; the id is made safe as an object name. */
export function archiveKey(event: Pick<ArchivedEvent, "id" | "receivedAt">): string {
  return `dt=${event.receivedAt.slice(0, 10)}/${encodeURIComponent(event.id)}.json`;
}
