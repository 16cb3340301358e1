import { ERRORS, type ErrorBody, type ErrorCode, errorBody, RETRY_AFTER_SECONDS } from "./errors.js";
import type { EventRecorder, QuarantinedBody, RecordOutcome, VerifiedEvent } from "./event-recorder.js";
import {
  type SignatureHeaders,
  type SignatureOptions,
  type VerifyFailure,
  verifySignature,
} from "./signature.js";
import { verifiedEvent } from "./verified-event.js";

export interface ReceiveConfig extends SignatureOptions {
  readonly maxBodyBytes: number;
}

/** What the bytes and headers alone decide, before anything is written. */
export type Decision =
  | { readonly kind: "too_large" }
  | { readonly kind: "unauthorized"; readonly failure: VerifyFailure }
  | { readonly kind: "quarantine"; readonly body: QuarantinedBody }
  | { readonly kind: "event"; readonly event: VerifiedEvent };

/**
 * Verify first, parse second: nothing about an unauthenticated body is looked at, so
 * forged input can neither reach storage nor exercise the parser.
 */
export function decide(body: Uint8Array, headers: SignatureHeaders, config: ReceiveConfig): Decision {
  if (body.byteLength > config.maxBodyBytes) return { kind: "too_large" };
  const verified = verifySignature(body, headers, config);
  if (!verified.ok) return { kind: "unauthorized", failure: verified.failure };

  const result = verifiedEvent(body, verified.algorithm, "webhook");
  if (result.ok) return { kind: "event", event: result.event };
  return {
    kind: "quarantine",
    body: {
      reason: result.problem,
      detail: result.message,
      payload: body,
      payloadSha256: result.payloadSha256,
      eventId: null,
      signatureAlg: verified.algorithm,
    },
  };
}

export type DeliveryOutcome =
  | RecordOutcome
  | "quarantined"
  | "unauthorized"
  | "too_large"
  | "store_unavailable";

export interface AcceptedBody {
  readonly status: "stored" | "duplicate";
  readonly id: string;
}

/** An adapter-neutral answer: adapters copy status, headers and body onto their response. */
export interface ReceiveResult {
  readonly status: number;
  readonly body: AcceptedBody | ErrorBody;
  readonly headers: Readonly<Record<string, string>>;
  readonly outcome: DeliveryOutcome;
  /** Safe to log: never a secret, a signature or the body. */
  readonly log: {
    readonly id?: string;
    readonly type?: string;
    readonly reason?: string;
    readonly error?: string;
  };
}

/**
 * The whole receive decision, shared by every adapter: decide, then write through the recorder,
 * and answer 2xx only once the recorder says the write is durable.
 */
export async function receive(
  body: Uint8Array,
  headers: SignatureHeaders,
  config: ReceiveConfig,
  recorder: EventRecorder,
  now: Date = new Date(),
): Promise<ReceiveResult> {
  const decision = decide(body, headers, config);
  switch (decision.kind) {
    case "too_large":
      return failure(
        "payload_too_large",
        "too_large",
        {},
        `body is larger than ${config.maxBodyBytes} bytes`,
      );
    case "unauthorized":
      return failure("unauthorized", "unauthorized", { reason: decision.failure });
    case "quarantine": {
      const { reason, detail } = decision.body;
      try {
        await recorder.quarantine(decision.body, now);
      } catch (error) {
        return storeUnavailable(error, { reason });
      }
      return failure(
        reason === "invalid_json" ? "invalid_json" : "invalid_event",
        "quarantined",
        { reason },
        detail,
      );
    }
    case "event": {
      const { id, type } = decision.event;
      let outcome: RecordOutcome;
      try {
        outcome = await recorder.record(decision.event, now);
      } catch (error) {
        return storeUnavailable(error, { id, type });
      }
      return {
        status: 200,
        body: { status: outcome === "stored" ? "stored" : "duplicate", id },
        headers: {},
        outcome,
        log: outcome === "conflict" ? { id, type, reason: "id_conflict" } : { id, type },
      };
    }
  }
}

function failure(
  code: ErrorCode,
  outcome: DeliveryOutcome,
  log: ReceiveResult["log"],
  message?: string,
): ReceiveResult {
  return { status: statusOf(code), body: errorBody(code, message), headers: {}, outcome, log };
}

function storeUnavailable(error: unknown, log: ReceiveResult["log"]): ReceiveResult {
  return {
    status: 503,
    body: errorBody("store_unavailable"),
    headers: { "retry-after": String(RETRY_AFTER_SECONDS) },
    outcome: "store_unavailable",
    log: { ...log, error: error instanceof Error ? error.message : String(error) },
  };
}

function statusOf(code: ErrorCode): number {
  return ERRORS[code].status;
}

/**
 * Reads the two signature headers from any header lookup. Header names are
 * case-insensitive; a header sent twice arrives joined (`a, b`) and so fails to parse,
 * which is the safe answer.
 */
export function signatureHeadersFrom(
  get: (lowercaseName: string) => string | readonly string[] | undefined,
): SignatureHeaders {
  return { sha256: single(get("x-hub-signature-256")), sha1: single(get("x-hub-signature")) };
}

function single(value: string | readonly string[] | undefined): string | undefined {
  return typeof value === "string" || value === undefined ? value : value.join(", ");
}
