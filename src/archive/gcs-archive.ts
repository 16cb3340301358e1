import type { Bucket } from "@google-cloud/storage";
import type { KeptEvent } from "../core/event-recorder.js";
import {
  type Archive,
  type ArchivedObject,
  type ArchiveEntry,
  ArchiveNotFound,
  archiveKey,
  assertPartitionDate,
  metadataFromRecord,
  metadataOf,
  metadataToRecord,
  type PutResult,
} from "./archive.js";
import {
  type ArchivedReject,
  assertRejectKey,
  REJECTS_FOLDER,
  type RejectArchive,
  type RejectEntry,
  rejectKey,
  rejectMetadataFromRecord,
  rejectMetadataToRecord,
} from "./rejects.js";

/** Options for a `gs://<bucket>/<prefix>` archive. */
export interface GcsArchiveOptions {
  readonly bucket: string;
  /** Object name prefix: "" or ending in "/". */
  readonly prefix: string;
  /**
   * Cloud Storage API endpoint, e.g. a local emulator. Default: the library's own, which
   * honours STORAGE_EMULATOR_HOST. A custom endpoint is called without credentials.
   */
  readonly apiEndpoint?: string;
  readonly projectId?: string;
  /** Objects per list request (default 1000, the API's maximum). */
  readonly pageSize?: number;
}

const KEY = /^dt=(\d{4}-\d{2}-\d{2})\/[^/]+\.json$/;
const PAGE_SIZE = 1000;

/**
 * Cloud Storage through @google-cloud/storage, loaded only here so the default path never
 * loads it. Uploads are single-request (events are small) and create-only
 * (`ifGenerationMatch=0`): Cloud Storage answers 412 when the object exists.
 * https://cloud.google.com/storage/docs/request-preconditions
 */
export async function createGcsArchive(options: GcsArchiveOptions): Promise<Archive & RejectArchive> {
  let storageModule: typeof import("@google-cloud/storage");
  try {
    storageModule = await import("@google-cloud/storage");
  } catch {
    throw new Error("ARCHIVE_URL: gs:// archives need the @google-cloud/storage package (npm install it)");
  }
  const storage = new storageModule.Storage({
    ...(options.apiEndpoint !== undefined ? { apiEndpoint: options.apiEndpoint } : {}),
    ...(options.projectId !== undefined ? { projectId: options.projectId } : {}),
  });
  const bucket: Bucket = storage.bucket(options.bucket);
  const prefix = options.prefix;

  function fileOf(key: string) {
    if (!KEY.test(key)) throw new Error(`archive key "${key}" is not dt=<YYYY-MM-DD>/<id>.json`);
    return bucket.file(`${prefix}${key}`);
  }

  async function putObject(
    key: string,
    payload: Uint8Array,
    record: Record<string, string>,
  ): Promise<PutResult> {
    const bytes = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
    try {
      await bucket.file(`${prefix}${key}`).save(bytes, {
        resumable: false,
        contentType: "application/json",
        metadata: { metadata: record },
        preconditionOpts: { ifGenerationMatch: 0 },
      });
      return "created";
    } catch (error) {
      // Also the answer when a retried upload had in fact succeeded the first time.
      if (statusOf(error) === 412) return "exists";
      throw error;
    }
  }

  /** Objects `<folder>dt=<date>/…` in the range, keys relative to the archive root. */
  async function* listPartitions(
    folder: string,
    range: { readonly since?: string; readonly until?: string },
  ): AsyncIterable<{ key: string; date: string; metadata: Record<string, unknown> | undefined }> {
    assertPartitionDate("since", range.since);
    assertPartitionDate("until", range.until);
    const base = `${prefix}${folder}`;
    let pageToken: string | undefined;
    do {
      const [files, next] = await bucket.getFiles({
        prefix: `${base}dt=`,
        autoPaginate: false,
        maxResults: options.pageSize ?? PAGE_SIZE,
        // Names list in lexicographic order, so a date range is one contiguous run.
        ...(range.since !== undefined ? { startOffset: `${base}dt=${range.since}/` } : {}),
        ...(range.until !== undefined ? { endOffset: `${base}dt=${nextDay(range.until)}/` } : {}),
        ...(pageToken !== undefined ? { pageToken } : {}),
      });
      for (const file of files) {
        const key = file.name.slice(prefix.length);
        const date = KEY.exec(key.slice(folder.length))?.[1];
        if (date !== undefined) {
          yield { key, date, metadata: file.metadata.metadata as Record<string, unknown> | undefined };
        }
      }
      pageToken = (next as { pageToken?: string } | null | undefined)?.pageToken;
    } while (pageToken !== undefined);
  }

  return {
    description: `gs://${options.bucket}/${prefix}`,
    // One HTTPS request (and socket) per read: a modest window, well under request-rate limits.
    readConcurrency: 64,

    put(event: KeptEvent): Promise<PutResult> {
      return putObject(
        archiveKey(event),
        Buffer.from(event.payload, "utf8"),
        metadataToRecord(metadataOf(event)),
      );
    },

    putReject(reject: ArchivedReject): Promise<PutResult> {
      return putObject(rejectKey(reject), reject.payload, rejectMetadataToRecord(reject));
    },

    async *listRejects(range): AsyncIterable<RejectEntry> {
      for await (const file of listPartitions(`${REJECTS_FOLDER}/`, range)) {
        yield { key: file.key, date: file.date, metadata: rejectMetadataFromRecord(file.metadata) };
      }
    },

    async readReject(key: string) {
      assertRejectKey(key);
      const file = bucket.file(`${prefix}${key}`);
      const [[payload], [resource]] = await Promise.all([file.download(), file.getMetadata()]);
      return {
        payload,
        metadata: rejectMetadataFromRecord(resource.metadata as Record<string, unknown> | undefined),
      };
    },

    async *list(range): AsyncIterable<ArchiveEntry> {
      try {
        for await (const file of listPartitions("", range)) {
          yield { key: file.key, date: file.date, metadata: metadataFromRecord(file.metadata) };
        }
      } catch (error) {
        // A missing bucket is a wrong URL, not an empty archive: "0 read" would hide the typo.
        if ((error as { code?: unknown }).code === 404) {
          throw new ArchiveNotFound(`no bucket ${options.bucket} (Cloud Storage answered 404)`);
        }
        throw error;
      }
    },

    async get(key: string): Promise<Uint8Array> {
      const [bytes] = await fileOf(key).download();
      return bytes;
    },

    async read(key: string): Promise<ArchivedObject> {
      const file = fileOf(key);
      const [[payload], [resource]] = await Promise.all([file.download(), file.getMetadata()]);
      return {
        payload,
        metadata: metadataFromRecord(resource.metadata as Record<string, unknown> | undefined),
      };
    },
  };
}

function nextDay(date: string): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
}

function statusOf(error: unknown): number | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === "number" ? code : undefined;
}
