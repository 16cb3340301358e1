import * as z from "zod";
import { ConfigError, type Env, integer, parseEnv } from "../config/env.js";
import type { PayloadType } from "../sinks/bigquery-table.js";
import { parseTableRef } from "../sinks/bigquery-table.js";

/** Where committed events are copied to, and how; from the environment. */
export interface ExportConfig {
  /** ARCHIVE_URL: file:<dir> or gs://<bucket>/<prefix>. */
  readonly archiveUrl: string | undefined;
  /** BIGQUERY_TABLE: project.dataset.table. */
  readonly bigqueryTable: string | undefined;
  readonly bigqueryPayloadType: PayloadType;
  readonly bigqueryLocation: string;
  readonly bigqueryApiEndpoint: string | undefined;
  readonly batchSize: number;
  readonly pollMs: number;
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  /** Attempts for an event a sink rejects as invalid before it becomes a dead letter. */
  readonly maxAttempts: number;
}

const envSchema = z.object({
  ARCHIVE_URL: z.string().trim().optional(),
  BIGQUERY_TABLE: z.string().trim().optional(),
  BIGQUERY_PAYLOAD_TYPE: z
    .string()
    .trim()
    .toUpperCase()
    .pipe(z.enum(["JSON", "STRING"], { message: "must be JSON or STRING" }))
    .default("JSON"),
  BIGQUERY_LOCATION: z.string().trim().min(1).default("US"),
  BIGQUERY_API_ENDPOINT: z.url({ message: "must be a URL, e.g. http://127.0.0.1:9050" }).optional(),
  PORTCALL_EXPORT_BATCH_SIZE: integer(1, 10_000).default(200),
  PORTCALL_EXPORT_POLL_MS: integer(10, 600_000).default(1000),
  PORTCALL_EXPORT_RETRY_BASE_MS: integer(1, 3_600_000).default(1000),
  PORTCALL_EXPORT_RETRY_MAX_MS: integer(1, 86_400_000).default(300_000),
  PORTCALL_EXPORT_MAX_ATTEMPTS: integer(1, 1000).default(5),
});

/** Parses the export settings; throws ConfigError naming each bad variable. */
export function loadExportConfig(env: Env): ExportConfig {
  const e = parseEnv(envSchema, env);
  if (e.BIGQUERY_TABLE !== undefined) {
    try {
      parseTableRef(e.BIGQUERY_TABLE);
    } catch (error) {
      throw new ConfigError([(error as Error).message]);
    }
  }
  if (e.PORTCALL_EXPORT_RETRY_MAX_MS < e.PORTCALL_EXPORT_RETRY_BASE_MS) {
    throw new ConfigError(["PORTCALL_EXPORT_RETRY_MAX_MS: must be at least PORTCALL_EXPORT_RETRY_BASE_MS"]);
  }
  return {
    archiveUrl: e.ARCHIVE_URL,
    bigqueryTable: e.BIGQUERY_TABLE,
    bigqueryPayloadType: e.BIGQUERY_PAYLOAD_TYPE,
    bigqueryLocation: e.BIGQUERY_LOCATION,
    bigqueryApiEndpoint: e.BIGQUERY_API_ENDPOINT,
    batchSize: e.PORTCALL_EXPORT_BATCH_SIZE,
    pollMs: e.PORTCALL_EXPORT_POLL_MS,
    retryBaseMs: e.PORTCALL_EXPORT_RETRY_BASE_MS,
    retryMaxMs: e.PORTCALL_EXPORT_RETRY_MAX_MS,
    maxAttempts: e.PORTCALL_EXPORT_MAX_ATTEMPTS,
  };
}
