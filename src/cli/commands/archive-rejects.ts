import { openArchive } from "../../archive/open-archive.js";
import type { RejectMetadata } from "../../archive/rejects.js";
import { loadExportConfig } from "../../export/export-config.js";
import { createFunctionLog } from "../../function/function-log.js";
import { createFunctionRecorder } from "../../function/function-recorder.js";
import { replayRejects } from "../../replay/replay-rejects.js";
import { type CliContext, UsageError } from "../context.js";
import { formatTable, printJson } from "../table.js";

/** The options of `portcall rejects` (the command is registered in rejects.ts). */
export interface RejectsOptions {
  limit?: string;
  source?: string;
  json?: boolean;
  raw?: string;
  archive?: string;
  since?: string;
  until?: string;
  replay?: boolean;
}

/** `portcall rejects --archive <url>`: list, print or replay the rejects function mode kept. */
export async function archiveRejects(
  cli: CliContext,
  url: string,
  options: Omit<RejectsOptions, "limit"> & { limit: number | undefined },
): Promise<void> {
  const archive = await openArchive(url, { name: "--archive" }).catch((error: unknown) => {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  });
  const range = {
    ...(options.since !== undefined ? { since: options.since } : {}),
    ...(options.until !== undefined ? { until: options.until } : {}),
  };
  if (options.replay) {
    const exportConfig = loadExportConfig(cli.env);
    const bigquery = exportConfig.bigqueryTable !== undefined;
    const { bigQueryTargetOf } = await import("../../export/configured-sinks.js");
    const sink = createFunctionRecorder({
      archive,
      bigquery: bigquery ? bigQueryTargetOf(exportConfig) : undefined,
      log: createFunctionLog((line) => process.stderr.write(line)),
    });
    const results = await replayRejects({ archive, sink, range });
    if (options.json) printJson(results);
    else {
      const counts = new Map<string, number>();
      for (const r of results) counts.set(r.outcome, (counts.get(r.outcome) ?? 0) + 1);
      const summary = [...counts].map(([outcome, n]) => `${n} ${outcome.replace("_", " ")}`).join(", ");
      process.stdout.write(
        `replayed ${results.length} reject(s) from ${archive.description}` +
          `${bigquery ? " into the archive and BigQuery" : " into the archive"}: ${summary || "none"}\n`,
      );
    }
    return;
  }

  const rows: { key: string; sha256: string; metadata: RejectMetadata | null; bytes: number }[] = [];
  for await (const entry of archive.listRejects(range)) {
    if (options.limit !== undefined && rows.length >= options.limit) break;
    const sha256 = entry.key.slice(-69, -5);
    if (options.raw !== undefined && sha256 !== options.raw) continue;
    const { payload, metadata } = await archive.readReject(entry.key);
    if (options.raw !== undefined) {
      process.stdout.write(payload);
      return;
    }
    rows.push({ key: entry.key, sha256, metadata, bytes: payload.byteLength });
  }
  if (options.raw !== undefined)
    throw new UsageError(`no reject with sha256 ${options.raw} in ${archive.description}`);
  if (options.json) {
    printJson(
      rows.map((r) => ({
        key: r.key,
        payload_sha256: r.sha256,
        reason: r.metadata?.reason ?? null,
        detail: r.metadata?.detail ?? null,
        event_id: r.metadata?.eventId ?? null,
        received_at: r.metadata?.receivedAt ?? null,
        bytes: r.bytes,
      })),
    );
    return;
  }
  if (rows.length === 0) {
    process.stdout.write(`no rejects in ${archive.description}\n`);
    return;
  }
  process.stdout.write(
    `${formatTable(
      ["sha256", "reason", "detail", "event id", "received at", "bytes"],
      rows.map((r) => [
        r.sha256.slice(0, 12),
        r.metadata?.reason ?? "?",
        r.metadata?.detail ?? "",
        r.metadata?.eventId ?? null,
        r.metadata?.receivedAt ?? null,
        r.bytes,
      ]),
    )}\n`,
  );
}
