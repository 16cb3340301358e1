import { createHash } from "node:crypto";
import { type Archive, archiveKey } from "../archive/archive.js";
import { DEFAULT_SOURCE } from "../core/event-recorder.js";
import { type ExportEvent, type ExportResult, type ExportSink, errorMessage } from "./export-sink.js";

export type ArchiveOutcome = "created" | "exists" | "conflict";

export interface ArchiveResult {
  readonly outcome: ArchiveOutcome;
  /**
   * When the archived copy says the event was received: this event's own time when it was
   * created now, the first delivery's (from the object's metadata) when it already existed.
   */
  readonly receivedAt: string;
}

/**
 * Create-only put that tells a redelivery (same bytes already archived) from a conflict
 * (different bytes under the same id): an "exists" is only good news if the bytes match.
 */
export async function archiveEvent(archive: Archive, event: ExportEvent): Promise<ArchiveResult> {
  if ((await archive.put(event)) === "created") return { outcome: "created", receivedAt: event.receivedAt };
  const existing = await archive.read(archiveKey(event));
  const sha256 = createHash("sha256").update(existing.payload).digest("hex");
  return {
    outcome: sha256 === event.payloadSha256 ? "exists" : "conflict",
    receivedAt: existing.metadata?.receivedAt ?? event.receivedAt,
  };
}

/** Exports each event as one archive object; a few puts run at once. */
export function createArchiveSink(
  archive: Archive,
  options: {
    concurrency?: number;
    /** The archive of a source other than the default one (its own prefix); opened once. */
    openSource?: (sourceName: string) => Promise<Archive>;
  } = {},
): ExportSink {
  const concurrency = options.concurrency ?? 8;
  const bySource = new Map<string, Promise<Archive>>();
  const archiveOf = (sourceName: string): Promise<Archive> => {
    if (sourceName === DEFAULT_SOURCE || options.openSource === undefined) return Promise.resolve(archive);
    let opened = bySource.get(sourceName);
    if (opened === undefined) {
      opened = options.openSource(sourceName);
      opened.catch(() => bySource.delete(sourceName));
      bySource.set(sourceName, opened);
    }
    return opened;
  };
  return {
    name: "archive",
    target: archive.description,
    async deliver(events) {
      const results: ExportResult[] = new Array(events.length);
      let next = 0;
      const work = async () => {
        for (let i = next++; i < events.length; i = next++) {
          const event = events[i] as ExportEvent;
          try {
            const { outcome } = await archiveEvent(await archiveOf(event.sourceName), event);
            results[i] =
              outcome === "conflict"
                ? { ok: false, error: `archive holds different bytes for event ${event.id}` }
                : { ok: true };
          } catch (error) {
            results[i] = { ok: false, error: errorMessage(error) };
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, events.length) }, work));
      return results;
    },
  };
}
