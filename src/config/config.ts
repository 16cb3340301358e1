import * as z from "zod";
import { boolean, ConfigError, type Env, integer, parseEnv } from "./env.js";

export { ConfigError } from "./env.js";

/** Everything portcall reads from the environment, validated once at start. */
export interface Config {
  /** Secrets from FLEXPORT_WEBHOOK_SECRET; empty when it is unset (see resolveSecrets). */
  readonly secrets: readonly string[];
  readonly secretFile: string | undefined;
  readonly acceptSha1: boolean;
  readonly databaseUrl: string;
  readonly pgSchema: string;
  readonly pgPoolMax: number;
  readonly pgConnectTimeoutMs: number;
  readonly pgStatementTimeoutMs: number;
  readonly dataDir: string;
  readonly host: string;
  readonly port: number;
  readonly maxBodyBytes: number;
  readonly logLevel: LogLevel;
  /** `auto`: `gcp` on Google Cloud, `pretty` on a terminal, `json` otherwise (see resolveLogFormat). */
  readonly logFormat: LogFormat;
  readonly headersTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
  readonly shutdownTimeoutMs: number;
  /** The PORTCALL_CONFIG file (sources, destinations, rules), when set. */
  readonly configFile: string | undefined;
  readonly ui: UiConfig;
}

/** The dashboard under /ui/ (docs/dashboard.md). */
export interface UiConfig {
  /** PORTCALL_UI: false turns the dashboard off (the routes are not registered). */
  readonly enabled: boolean;
  /** PORTCALL_UI_PASSWORD; undefined when unset (see resolveUiPassword). */
  readonly password: string | undefined;
  readonly passwordFile: string | undefined;
  /** PORTCALL_UI_TRUSTED_HEADER: an identity-aware proxy's user header, trusted as signed in. */
  readonly trustedHeader: string | undefined;
  readonly sessionHours: number;
}

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const LOG_FORMATS = ["auto", "json", "gcp", "pretty"] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export const DEFAULT_DATA_DIR = "./data";
export const DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024;

const schemaName = z
  .string()
  .trim()
  .regex(/^[a-z_][a-z0-9_]{0,62}$/, { message: "must be a lower-case SQL identifier (a-z, 0-9, _)" });

const envSchema = z.object({
  FLEXPORT_WEBHOOK_SECRET: z.string().optional(),
  FLEXPORT_WEBHOOK_SECRET_FILE: z.string().trim().min(1, { message: "must be a file path" }).optional(),
  PORTCALL_ACCEPT_SHA1: boolean.default(true),
  PORTCALL_DATA_DIR: z.string().trim().min(1).default(DEFAULT_DATA_DIR),
  DATABASE_URL: z.string().trim().min(1, { message: "must not be empty" }).optional(),
  PORTCALL_DB_SCHEMA: schemaName.default("public"),
  PORTCALL_PG_POOL_MAX: integer(1, 1000).default(10),
  PORTCALL_PG_CONNECT_TIMEOUT_MS: integer(100, 600_000).default(3000),
  PORTCALL_PG_STATEMENT_TIMEOUT_MS: integer(100, 600_000).default(5000),
  HOST: z.string().trim().min(1).default("0.0.0.0"),
  PORT: integer(0, 65535).default(8080),
  PORTCALL_MAX_BODY_BYTES: integer(1, 1024 * 1024 * 1024).default(DEFAULT_MAX_BODY_BYTES),
  LOG_LEVEL: z.string().trim().toLowerCase().pipe(z.enum(LOG_LEVELS)).default("info"),
  PORTCALL_LOG_FORMAT: z.string().trim().toLowerCase().pipe(z.enum(LOG_FORMATS)).default("auto"),
  PORTCALL_HEADERS_TIMEOUT_MS: integer(100, 600_000).default(10_000),
  PORTCALL_REQUEST_TIMEOUT_MS: integer(100, 3_600_000).default(30_000),
  PORTCALL_KEEP_ALIVE_TIMEOUT_MS: integer(100, 3_600_000).default(72_000),
  PORTCALL_SHUTDOWN_TIMEOUT_MS: integer(0, 600_000).default(10_000),
  PORTCALL_CONFIG: z.string().trim().min(1, { message: "must be a file path" }).optional(),
  PORTCALL_UI: boolean.default(true),
  PORTCALL_UI_PASSWORD: z.string().trim().min(8, { message: "must be at least 8 characters" }).optional(),
  PORTCALL_UI_PASSWORD_FILE: z.string().trim().min(1, { message: "must be a file path" }).optional(),
  PORTCALL_UI_TRUSTED_HEADER: z
    .string()
    .trim()
    .toLowerCase()
    .regex(/^[a-z0-9-]+$/, { message: "must be an HTTP header name, e.g. x-goog-authenticated-user-email" })
    .optional(),
  PORTCALL_UI_SESSION_HOURS: integer(1, 24 * 30).default(12),
});

/**
 * Builds the configuration from an environment (a parameter, so tests pass their own).
 * Throws ConfigError listing every problem, each naming its variable.
 */
export function loadConfig(env: Env): Config {
  const e = parseEnv(envSchema, env);
  if (e.FLEXPORT_WEBHOOK_SECRET !== undefined && e.FLEXPORT_WEBHOOK_SECRET_FILE !== undefined) {
    throw new ConfigError([
      "FLEXPORT_WEBHOOK_SECRET and FLEXPORT_WEBHOOK_SECRET_FILE are both set; set only one",
    ]);
  }
  if (e.PORTCALL_UI_PASSWORD !== undefined && e.PORTCALL_UI_PASSWORD_FILE !== undefined) {
    throw new ConfigError(["PORTCALL_UI_PASSWORD and PORTCALL_UI_PASSWORD_FILE are both set; set only one"]);
  }
  const secrets = e.FLEXPORT_WEBHOOK_SECRET === undefined ? [] : splitSecrets(e.FLEXPORT_WEBHOOK_SECRET);
  if (e.FLEXPORT_WEBHOOK_SECRET !== undefined && secrets.length === 0) {
    throw new ConfigError(["FLEXPORT_WEBHOOK_SECRET: holds no secret (only commas and spaces)"]);
  }
  return {
    secrets,
    secretFile: e.FLEXPORT_WEBHOOK_SECRET_FILE,
    acceptSha1: e.PORTCALL_ACCEPT_SHA1,
    dataDir: e.PORTCALL_DATA_DIR,
    databaseUrl: e.DATABASE_URL ?? `sqlite:${e.PORTCALL_DATA_DIR.replace(/\/$/, "")}/portcall.db`,
    pgSchema: e.PORTCALL_DB_SCHEMA,
    pgPoolMax: e.PORTCALL_PG_POOL_MAX,
    pgConnectTimeoutMs: e.PORTCALL_PG_CONNECT_TIMEOUT_MS,
    pgStatementTimeoutMs: e.PORTCALL_PG_STATEMENT_TIMEOUT_MS,
    host: e.HOST,
    port: e.PORT,
    maxBodyBytes: e.PORTCALL_MAX_BODY_BYTES,
    logLevel: e.LOG_LEVEL,
    logFormat: e.PORTCALL_LOG_FORMAT,
    headersTimeoutMs: e.PORTCALL_HEADERS_TIMEOUT_MS,
    requestTimeoutMs: e.PORTCALL_REQUEST_TIMEOUT_MS,
    keepAliveTimeoutMs: e.PORTCALL_KEEP_ALIVE_TIMEOUT_MS,
    shutdownTimeoutMs: e.PORTCALL_SHUTDOWN_TIMEOUT_MS,
    configFile: e.PORTCALL_CONFIG,
    ui: {
      enabled: e.PORTCALL_UI,
      password: e.PORTCALL_UI_PASSWORD,
      passwordFile: e.PORTCALL_UI_PASSWORD_FILE,
      trustedHeader: e.PORTCALL_UI_TRUSTED_HEADER,
      sessionHours: e.PORTCALL_UI_SESSION_HOURS,
    },
  };
}

/** Secrets are comma- or newline-separated, so a rotation is "new,old". */
export function splitSecrets(value: string): string[] {
  return value
    .split(/[,\n]/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/**
 * Google's runtimes set these: K_SERVICE (Cloud Run services and functions),
 * FUNCTION_TARGET (Cloud Run functions), CLOUD_RUN_JOB (Cloud Run jobs).
 * https://cloud.google.com/run/docs/container-contract#env-vars
 */
export function onGoogleCloud(env: Readonly<Record<string, string | undefined>>): boolean {
  return [env.K_SERVICE, env.FUNCTION_TARGET, env.CLOUD_RUN_JOB].some((v) => v !== undefined && v !== "");
}

export function resolveLogFormat(
  format: LogFormat,
  env: Readonly<Record<string, string | undefined>>,
  terminal: boolean,
): Exclude<LogFormat, "auto"> {
  if (format !== "auto") return format;
  if (onGoogleCloud(env)) return "gcp";
  return terminal ? "pretty" : "json";
}
