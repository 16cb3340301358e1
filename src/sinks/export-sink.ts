/** One committed event as the sinks see it. */
export interface ExportEvent {
  readonly id: string;
  readonly type: string;
  readonly occurredAt: string | null;
  readonly createdAt: string | null;
  /** ISO-8601 UTC, first delivery. */
  readonly receivedAt: string;
  readonly signatureAlg: string | null;
  /** The exact body received (strict UTF-8 text). */
  readonly payload: string;
  readonly payloadSha256: string;
  /** The configured source it arrived through (`default` for /webhooks/flexport). */
  readonly sourceName: string;
  readonly api: string;
}

/** Per event: delivered (or already there), or why not. */
export type ExportResult = { readonly ok: true } | { readonly ok: false; readonly error: string };

/**
 * A place the exporter copies committed events to. Delivery must be idempotent: after a
 * crash the same event may be delivered again, and must not end up there twice.
 */
export interface ExportSink {
  /** Stable name, the key of its progress in the database (`archive`, `bigquery`). */
  readonly name: string;
  /** Where it writes, for status output; never credentials. */
  readonly target: string;
  /** Results in the order of `events`; a rejection fails the whole batch. */
  deliver(events: readonly ExportEvent[]): Promise<ExportResult[]>;
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
