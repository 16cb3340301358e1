/**
 * The trace a request belongs to, from W3C `traceparent` or Google's
 * `X-Cloud-Trace-Context: TRACE_ID/SPAN_ID;o=1` (what Cloud Run's front end adds), as the
 * OpenTelemetry-style fields the Cloud Logging formatter turns into
 * `logging.googleapis.com/trace`, `…/spanId` and `…/trace_sampled`.
 * https://cloud.google.com/trace/docs/trace-context
 */
export interface TraceFields {
  readonly trace_id: string;
  readonly span_id?: string;
  readonly trace_flags?: string;
}

const TRACEPARENT = /^[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const CLOUD_TRACE = /^([0-9a-f]{32})(?:\/(\d{1,20}))?(?:;o=([01]))?$/i;
const ZERO_TRACE = /^0+$/;

export function traceFieldsOf(
  get: (lowercaseName: string) => string | readonly string[] | undefined,
): TraceFields | undefined {
  const traceparent = first(get("traceparent"))?.trim().toLowerCase();
  const w3c = traceparent === undefined ? null : TRACEPARENT.exec(traceparent);
  if (w3c?.[1] !== undefined && !ZERO_TRACE.test(w3c[1])) {
    return { trace_id: w3c[1], span_id: w3c[2] as string, trace_flags: w3c[3] as string };
  }
  const cloud = first(get("x-cloud-trace-context"))?.trim();
  const google = cloud === undefined ? null : CLOUD_TRACE.exec(cloud);
  if (google?.[1] === undefined || ZERO_TRACE.test(google[1])) return undefined;
  // The span id is decimal here; Cloud Logging wants the 16 hex digits W3C uses.
  const span = google[2] === undefined ? undefined : BigInt(google[2]);
  return {
    trace_id: google[1].toLowerCase(),
    ...(span !== undefined && span > 0n && span < 2n ** 64n
      ? { span_id: span.toString(16).padStart(16, "0") }
      : {}),
    ...(google[3] !== undefined ? { trace_flags: google[3] === "1" ? "01" : "00" } : {}),
  };
}

function first(value: string | readonly string[] | undefined): string | undefined {
  return typeof value === "string" || value === undefined ? value : value[0];
}
