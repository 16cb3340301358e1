import { type Logger, pino } from "pino";
import type { LogLevel } from "../config/config.js";

/**
 * Structured JSON logs. Signature headers are redacted wherever they could appear; the
 * receive path never logs bodies, secrets or signatures in the first place.
 */
export function createLogger(level: LogLevel, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
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
    },
    destination ?? pino.destination({ sync: false }),
  );
}
