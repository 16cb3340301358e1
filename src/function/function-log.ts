export type Severity = "DEBUG" | "INFO" | "WARNING" | "ERROR";

export interface FunctionLog {
  write(severity: Severity, message: string, fields?: Record<string, unknown>): void;
}

/**
 * One JSON object per line on stdout: Cloud Run functions turn `severity` and `message`
 * into a structured log entry. No logging library, to keep cold starts short.
 * https://cloud.google.com/functions/docs/monitoring/logging#writing_structured_logs
 */
export function createFunctionLog(
  out: (line: string) => void = (line) => process.stdout.write(line),
): FunctionLog {
  return {
    write(severity, message, fields = {}) {
      out(`${JSON.stringify({ severity, message, ...fields })}\n`);
    },
  };
}
