import type { Archive } from "../archive/archive.js";
import { openArchive } from "../archive/open-archive.js";
import type { RejectArchive } from "../archive/rejects.js";
import { ConfigError, loadConfig } from "../config/config.js";
import { resolveSecrets } from "../config/secrets.js";
import type { EventRecorder } from "../core/event-recorder.js";
import type { ReceiveConfig } from "../core/receive.js";
import { bigQueryTargetOf } from "../export/configured-sinks.js";
import { loadExportConfig } from "../export/export-config.js";
import type { FunctionLog } from "./function-log.js";
import { createFunctionRecorder } from "./function-recorder.js";

export interface FunctionRuntime {
  readonly receiveConfig: ReceiveConfig;
  readonly recorder: EventRecorder;
}

/**
 * Everything a function instance needs, built once per instance on its first request:
 * the secret (FLEXPORT_WEBHOOK_SECRET, or FLEXPORT_WEBHOOK_SECRET_FILE for a mounted
 * Secret Manager secret), the archive (ARCHIVE_URL) and the BigQuery table (BIGQUERY_TABLE).
 */
export async function createFunctionRuntime(
  env: Readonly<Record<string, string | undefined>>,
  log: FunctionLog,
): Promise<FunctionRuntime> {
  const config = loadConfig(env);
  if (config.secrets.length === 0 && config.secretFile === undefined) {
    throw new ConfigError(["FLEXPORT_WEBHOOK_SECRET or FLEXPORT_WEBHOOK_SECRET_FILE must be set"]);
  }
  const secrets = resolveSecrets(config, { generate: false });
  const exportConfig = loadExportConfig(env);
  if (exportConfig.archiveUrl === undefined && exportConfig.bigqueryTable === undefined) {
    throw new ConfigError([
      "ARCHIVE_URL or BIGQUERY_TABLE (or both) must be set: the function keeps events there",
    ]);
  }
  const archive: (Archive & RejectArchive) | undefined =
    exportConfig.archiveUrl === undefined ? undefined : await openArchive(exportConfig.archiveUrl);
  // No client-side retries: a failed insert answers 503 at once and Flexport delivers again.
  const bigquery =
    exportConfig.bigqueryTable === undefined ? undefined : bigQueryTargetOf(exportConfig, { maxRetries: 0 });
  return {
    receiveConfig: {
      secrets: secrets.secrets,
      acceptSha1: config.acceptSha1,
      maxBodyBytes: config.maxBodyBytes,
    },
    recorder: createFunctionRecorder({ archive, bigquery, log }),
  };
}
