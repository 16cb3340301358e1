import { createRequire } from "node:module";
import { type DestinationStream, type Logger, type LoggerOptions, pino } from "pino";
import type { LogFormat, LogLevel } from "../config/config.js";
import { packageVersion } from "../paths.js";

/** Options for createLogger; only entry points look at the environment and the terminal. */
export interface LoggerSetup {
  readonly level: LogLevel;
  /** Resolved format: `gcp` (Cloud Logging fields), `pretty` (a terminal) or `json`. */
  readonly format?: Exclude<LogFormat, "auto">;
  /** Names the service in `serviceContext` (gcp), e.g. Cloud Run's K_SERVICE. */
  readonly service?: string;
  /** Project whose traces `logging.googleapis.com/trace` points into (gcp). */
  readonly project?: string;
  /** With no project: ask the metadata server for it (only on Google Cloud: off it, that waits). */
  readonly detectProject?: boolean;
  readonly destination?: DestinationStream | NodeJS.WritableStream | undefined;
}

/**
 * Structured logs: JSON lines by default; on Google Cloud the fields Cloud Logging reads
 * (`severity`, `message`, `logging.googleapis.com/trace`, …) through Google's own pino
 * config; indented colour on a terminal. Signature headers are redacted wherever they
 * could appear; the receive path never logs bodies, secrets or signatures in the first place.
 */
export function createLogger(
  setup: LoggerSetup | LogLevel,
  destination?: DestinationStream | NodeJS.WritableStream,
): Logger {
  const options: LoggerSetup = typeof setup === "string" ? { level: setup, destination } : setup;
  const base: LoggerOptions = {
    level: options.level,
    base: { service: "portcall" },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: [
        'req.headers["x-hub-signature"]',
        'req.headers["x-hub-signature-256"]',
        'headers["x-hub-signature"]',
        'headers["x-hub-signature-256"]',
        "req.headers.authorization",
      ],
      censor: "[redacted]",
    },
  };
  const out = options.destination ?? pino.destination({ sync: false });
  switch (options.format ?? "json") {
    case "gcp": {
      // Loaded only here: it brings @google-cloud/logging, which JSON and pretty never need.
      const { createGcpLoggingPinoConfig } = createRequire(import.meta.url)(
        "@google-cloud/pino-logging-gcp-config",
      ) as typeof import("@google-cloud/pino-logging-gcp-config");
      const { timestamp: _ownTimestamp, ...rest } = base;
      return pino(
        createGcpLoggingPinoConfig(
          {
            // Given, so the formatter does not ask Google's APIs for it.
            serviceContext: { service: options.service ?? "portcall", version: packageVersion() },
            // undefined: the formatter asks the metadata server once, in the background; "":
            // traces are logged as bare ids.
            ...(options.project !== undefined || !options.detectProject
              ? { traceGoogleCloudProjectId: options.project ?? "" }
              : {}),
            inihibitDiagnosticMessage: true,
          },
          { ...rest, base: {} },
        ),
        out,
      );
    }
    case "pretty": {
      const pretty = prettyStream(out);
      return pino(base, pretty ?? out);
    }
    default:
      return pino(base, out);
  }
}

/** pino-pretty is a dev dependency: a production install falls back to JSON. */
function prettyStream(out: DestinationStream | NodeJS.WritableStream): DestinationStream | undefined {
  try {
    const build = createRequire(import.meta.url)("pino-pretty") as (options: object) => DestinationStream;
    return build({ destination: out, translateTime: "SYS:HH:MM:ss.l", ignore: "pid,hostname,service" });
  } catch {
    return undefined;
  }
}
