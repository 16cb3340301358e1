import { sourceArchiveUrl } from "../archive/archive.js";
import { openArchive } from "../archive/open-archive.js";
import { createArchiveSink } from "../sinks/archive-sink.js";
import { BigQueryTarget, createBigQuerySink } from "../sinks/bigquery-sink.js";
import type { ExportSink } from "../sinks/export-sink.js";
import { type ExportConfig, loadExportConfig } from "./export-config.js";

export function bigQueryTargetOf(
  config: ExportConfig,
  options: { maxRetries?: number } = {},
): BigQueryTarget {
  if (config.bigqueryTable === undefined) throw new Error("BIGQUERY_TABLE is not set");
  return new BigQueryTarget({
    table: config.bigqueryTable,
    payloadType: config.bigqueryPayloadType,
    location: config.bigqueryLocation,
    ...(config.bigqueryApiEndpoint !== undefined ? { apiEndpoint: config.bigqueryApiEndpoint } : {}),
    ...options,
  });
}

/** The sinks ARCHIVE_URL and BIGQUERY_TABLE name; none when neither is set. */
export async function configuredSinks(config: ExportConfig): Promise<ExportSink[]> {
  const sinks: ExportSink[] = [];
  const archiveUrl = config.archiveUrl;
  if (archiveUrl !== undefined) {
    sinks.push(
      createArchiveSink(await openArchive(archiveUrl), {
        openSource: (name) => openArchive(sourceArchiveUrl(archiveUrl, name)),
      }),
    );
  }
  // The exporter retries with its own backoff, so the client does not retry on top of it.
  if (config.bigqueryTable !== undefined)
    sinks.push(createBigQuerySink(bigQueryTargetOf(config, { maxRetries: 0 })));
  return sinks;
}

/** The BigQuery target BIGQUERY_TABLE names, for `portcall migrate`; undefined when unset. */
export function configuredBigQuery(
  env: Readonly<Record<string, string | undefined>>,
): BigQueryTarget | undefined {
  const config = loadExportConfig(env);
  return config.bigqueryTable === undefined ? undefined : bigQueryTargetOf(config);
}
