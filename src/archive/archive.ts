import type { KeptEvent } from "../core/event-recorder.js";

/**
 * A raw-event archive: one object per event, holding the exact bytes received, at
 * `<prefix>/dt=<YYYY-MM-DD of received_at>/<event id>.json` (Hive-style partitions, so
 * BigQuery external tables and load jobs read it directly). Implementations: `file:` and
 * `gs://`. Writes are create-only: an existing object is a redelivery, never overwritten.
 * What goes in is a KeptEvent; its payload is strict UTF-8 text, so its UTF-8 encoding is
 * exactly the bytes received.
 */
export interface ArchiveEntry {
  /** Object key relative to the archive root, e.g. `dt=2024-03-04/7100001.json`. */
  readonly key: string;
  /** The dt= partition date, YYYY-MM-DD. */
  readonly date: string;
  /**
   * Set when listing already returned the metadata (Cloud Storage does), so a reader can
   * fetch just the bytes with get(); undefined when only read() gives it.
   */
  readonly metadata?: ArchiveMetadata | null;
  /**
   * The object's bytes, when the archive had them at hand while listing (a `file:` day
   * pack); set only together with `metadata`. A copy, not the object itself: a reader that
   * finds them inconsistent reads the object with read().
   */
  readonly payload?: Uint8Array;
}

export type PutResult = "created" | "exists";

/**
 * What is kept beside the bytes, so a replay restores an event as first received. Cloud
 * Storage: custom metadata `type`, `occurred_at`, `created_at`, `received_at`,
 * `signature_alg`, `sha256`; `file:`: the same names in a `<id>.json.meta` sidecar.
 */
export interface ArchiveMetadata {
  readonly type: string;
  readonly occurredAt: string | null;
  readonly createdAt: string | null;
  readonly receivedAt: string;
  readonly signatureAlg: string | null;
  readonly payloadSha256: string;
}

export interface ArchivedObject {
  readonly payload: Uint8Array;
  /** null when the object carries none (written by another tool, or metadata lost). */
  readonly metadata: ArchiveMetadata | null;
}

export interface Archive {
  /** A readable description for logs (never credentials). */
  readonly description: string;
  /** How many reads a bulk reader (replay) should keep in flight; undefined: no limit of its own. */
  readonly readConcurrency?: number;
  /** Creates the object; resolves "exists" (not an error) when it is already there. */
  put(event: KeptEvent): Promise<PutResult>;
  /** Objects whose dt= partition lies in [since, until] (inclusive, YYYY-MM-DD), in key order. */
  list(range: { readonly since?: string; readonly until?: string }): AsyncIterable<ArchiveEntry>;
  /**
   * For bulk readers (replay): the objects list() gives, partitions in date order, but
   * within a partition in whatever order is cheapest, with bytes and metadata where the
   * archive has them at hand. Absent: use list().
   */
  readAll?(range: { readonly since?: string; readonly until?: string }): AsyncIterable<ArchiveEntry>;
  /** The exact bytes of one object. */
  get(key: string): Promise<Uint8Array>;
  /** The exact bytes of one object and its metadata. */
  read(key: string): Promise<ArchivedObject>;
}

/**
 * Each source but the default one is archived under its own prefix, `<archive>/source=<name>/`
 * (Hive-style, so an external table can partition by it); the default source keeps the
 * archive root, as before sources existed.
 */
export function sourceArchiveUrl(archiveUrl: string, sourceName: string): string {
  return sourceName === "default" ? archiveUrl : `${archiveUrl.replace(/\/+$/, "")}/source=${sourceName}`;
}

/** `dt=<YYYY-MM-DD>/<id>.json`; the id is made safe as an object name. */
export function archiveKey(event: Pick<KeptEvent, "id" | "receivedAt">): string {
  return `dt=${event.receivedAt.slice(0, 10)}/${encodeURIComponent(event.id)}.json`;
}

/** The event id a key names, or undefined when the key is not `dt=<date>/<id>.json`. */
export function idFromKey(key: string): string | undefined {
  const match = /^dt=\d{4}-\d{2}-\d{2}\/(.+)\.json$/.exec(key);
  if (match?.[1] === undefined) return undefined;
  try {
    return decodeURIComponent(match[1]);
  } catch {
    return undefined;
  }
}

export function metadataOf(event: KeptEvent): ArchiveMetadata {
  return {
    type: event.type,
    occurredAt: event.occurredAt,
    createdAt: event.createdAt,
    receivedAt: event.receivedAt,
    signatureAlg: event.signatureAlg,
    payloadSha256: event.payloadSha256,
  };
}

/** The wire names of the metadata (Cloud Storage custom metadata, `file:` sidecar). */
export function metadataToRecord(metadata: ArchiveMetadata): Record<string, string> {
  const record: Record<string, string> = {
    type: metadata.type,
    received_at: metadata.receivedAt,
    sha256: metadata.payloadSha256,
  };
  if (metadata.occurredAt !== null) record.occurred_at = metadata.occurredAt;
  if (metadata.createdAt !== null) record.created_at = metadata.createdAt;
  if (metadata.signatureAlg !== null) record.signature_alg = metadata.signatureAlg;
  return record;
}

/** The inverse of metadataToRecord; null when the required names are missing. */
export function metadataFromRecord(
  record: Readonly<Record<string, unknown>> | undefined,
): ArchiveMetadata | null {
  const text = (name: string): string | null => {
    const value = record?.[name];
    return typeof value === "string" && value.length > 0 ? value : null;
  };
  const type = text("type");
  const receivedAt = text("received_at");
  const payloadSha256 = text("sha256");
  if (type === null || receivedAt === null || payloadSha256 === null) return null;
  return {
    type,
    occurredAt: text("occurred_at"),
    createdAt: text("created_at"),
    receivedAt,
    signatureAlg: text("signature_alg"),
    payloadSha256,
  };
}

/** Validates a `since`/`until` partition bound. */
export function assertPartitionDate(name: string, value: string | undefined): void {
  if (value !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    throw new Error(`${name}: "${value}" is not a YYYY-MM-DD date`);
  }
}

/** The archive a URL names does not exist (a missing folder or bucket). */
export class ArchiveNotFound extends Error {
  override readonly name = "ArchiveNotFound";
}
