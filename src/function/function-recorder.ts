import type { Archive } from "../archive/archive.js";
import { type ArchivedReject, type RejectArchive, rejectKey } from "../archive/rejects.js";
import type { EventRecorder, QuarantinedBody, RecordOutcome, VerifiedEvent } from "../core/event-recorder.js";
import { keptEvent } from "../core/verified-event.js";
import { archiveEvent } from "../sinks/archive-sink.js";
import type { BigQueryTarget } from "../sinks/bigquery-sink.js";
import type { FunctionLog } from "./function-log.js";

export interface FunctionRecorderOptions {
  readonly archive: (Archive & RejectArchive) | undefined;
  readonly bigquery: BigQueryTarget | undefined;
  readonly log: FunctionLog;
}

/**
 * Function mode has no database: an event is kept once the archive holds it (create-only)
 * and BigQuery took its row, and only then does record() resolve, so the function answers
 * 200. Any failure rejects, the function answers 503 and Flexport delivers again. An
 * archive object that already holds the same bytes is such a redelivery: an earlier attempt
 * may have failed after archiving, so the BigQuery insert still runs (insertId = event id).
 * Quarantined bodies and an id conflict's second bytes are kept under the archive's
 * `rejects/` before the answer, as the server keeps them in its database.
 */
export function createFunctionRecorder(options: FunctionRecorderOptions): EventRecorder {
  const { archive, bigquery, log } = options;
  return {
    async record(event: VerifiedEvent, receivedAt: Date): Promise<RecordOutcome> {
      let exported = keptEvent(event, receivedAt);
      let outcome: RecordOutcome = "stored";
      if (archive !== undefined) {
        const archived = await archiveEvent(archive, exported);
        if (archived.outcome === "conflict") {
          // The first bytes stay (as in the server's store); the new ones go to rejects/.
          const kept = await keepReject(archive, {
            reason: "id_conflict",
            detail: `event ${event.id} was first received with different bytes`,
            receivedAt: exported.receivedAt,
            payload: Buffer.from(event.payload, "utf8"),
            payloadSha256: event.payloadSha256,
            eventId: event.id,
            signatureAlg: event.signatureAlg,
          });
          log.write("ERROR", "id conflict: archive holds different bytes for this event id", {
            id: event.id,
            type: event.type,
            payloadSha256: event.payloadSha256,
            kept,
          });
          return "conflict";
        }
        if (archived.outcome === "exists") {
          outcome = "duplicate";
          // The row a redelivery inserts carries the first delivery's time, as the archived
          // copy has it, so it is a copy of the first row to the _dedup view (same id and ts).
          exported = { ...exported, receivedAt: archived.receivedAt };
        }
      }
      if (bigquery !== undefined) {
        const [result] = await bigquery.insert([exported]);
        if (result === undefined || !result.ok) {
          throw new Error(result === undefined ? "BigQuery returned no result" : result.error);
        }
      }
      return outcome;
    },
    async quarantine(body: QuarantinedBody, receivedAt: Date): Promise<void> {
      // Without an archive (BigQuery only) the log line is the only record; never the body.
      const kept =
        archive === undefined
          ? undefined
          : await keepReject(archive, { ...body, receivedAt: receivedAt.toISOString() });
      log.write("WARNING", "authenticated body is not a usable event", {
        reason: body.reason,
        detail: body.detail,
        payloadSha256: body.payloadSha256,
        bytes: body.payload.byteLength,
        kept: kept ?? "not kept: ARCHIVE_URL is not set",
      });
    },
  };
}

/** Puts the reject (create-only; the same body again is fine) and names where it is. */
async function keepReject(archive: Archive & RejectArchive, reject: ArchivedReject): Promise<string> {
  await archive.putReject(reject);
  return `${archive.description.replace(/\/?$/, "/")}${rejectKey(reject)}`;
}
