import type { RejectArchive } from "../archive/rejects.js";
import type { EventRecorder, RecordOutcome } from "../core/event-recorder.js";
import type { SignatureAlgorithm } from "../core/signature.js";
import { verifiedEvent } from "../core/verified-event.js";

export interface RejectReplay {
  readonly key: string;
  readonly reason: string;
  /** "still_invalid": the current parser still refuses the bytes; nothing written. */
  readonly outcome: RecordOutcome | "still_invalid";
  readonly id?: string;
  readonly detail?: string;
}

/**
 * Runs each archived reject through the current parser and, where it now reads as an event
 * (a parser fix, or a reject kept by an older portcall), keeps it through `sink` exactly as
 * a delivery would have been: the archive create-only, BigQuery with insertId = id. The
 * bytes were authenticated when received, so they are not verified again. Rejects are left
 * in place as the record of what happened; running this twice is harmless (duplicates).
 */
export async function replayRejects(options: {
  readonly archive: RejectArchive;
  readonly sink: Pick<EventRecorder, "record">;
  readonly range?: { readonly since?: string; readonly until?: string };
}): Promise<RejectReplay[]> {
  const results: RejectReplay[] = [];
  for await (const entry of options.archive.listRejects(options.range ?? {})) {
    const { payload, metadata } = await options.archive.readReject(entry.key);
    const reason = metadata?.reason ?? "unknown";
    const parsed = verifiedEvent(
      payload,
      (metadata?.signatureAlg ?? null) as SignatureAlgorithm | null,
      "replay",
    );
    if (!parsed.ok) {
      results.push({ key: entry.key, reason, outcome: "still_invalid", detail: parsed.message });
      continue;
    }
    const outcome = await options.sink.record(
      parsed.event,
      new Date(metadata?.receivedAt ?? `${entry.date}T00:00:00Z`),
    );
    results.push({ key: entry.key, reason, outcome, id: parsed.event.id });
  }
  return results;
}
