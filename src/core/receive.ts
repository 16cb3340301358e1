import { type EnvelopeResult, parseEnvelope } from "./envelope.js";
import { ERRORS, type ErrorBody, type ErrorCode, errorBody, RETRY_AFTER_SECONDS } from "./errors.js";
import {
  type ApiKind,
  DEFAULT_SOURCE,
  type EventRecorder,
  type QuarantinedBody,
  type RecordOutcome,
  type VerifiedEvent,
} from "./event-recorder.js";
import {
  type HeaderLookup,
  type LogisticsAuth,
  type LogisticsAuthFailure,
  verifyLogisticsAuth,
} from "./logistics-auth.js";
import { type LogisticsEnvelopeOptions, parseLogisticsEnvelope } from "./logistics-envelope.js";
import {
  type SignatureAlgorithm,
  type SignatureHeaders,
  type SignatureOptions,
  type VerifyFailure,
  verifySignature,
} from "./signature.js";
import { type EventOrigin, verifiedEvent } from "./verified-event.js";

export interface ReceiveConfig extends SignatureOptions {
  readonly maxBodyBytes: number;
}

/** What the bytes and headers alone decide, before anything is written. */
export type Decision =
  | { readonly kind: "too_large" }
  | { readonly kind: "unauthorized"; readonly failure: AuthFailure }
  | { readonly kind: "quarantine"; readonly body: QuarantinedBody }
  | { readonly kind: "event"; readonly event: VerifiedEvent };

export type AuthFailure = VerifyFailure | LogisticsAuthFailure;

export type Authentication =
  | { readonly ok: true; readonly signatureAlg: SignatureAlgorithm | null }
  | { readonly ok: false; readonly failure: AuthFailure };

/**
 * One configured endpoint: how it authenticates a delivery and how it reads the envelope.
 * Built once at start, so routing a delivery costs a map lookup and nothing else.
 */
export interface ReceivingSource {
  readonly name: string;
  readonly api: ApiKind;
  readonly maxBodyBytes: number;
  /** The source name, API and envelope reader events are labelled and read with; built once. */
  readonly origin: EventOrigin;
  authenticate(body: Uint8Array, header: HeaderLookup): Authentication;
}

/** A freight (v2) source: HMAC over the raw bytes with any of its secrets. */
export function createFreightSource(name: string, config: ReceiveConfig): ReceivingSource {
  return {
    name,
    api: "freight",
    maxBodyBytes: config.maxBodyBytes,
    authenticate: (body, header) => {
      const verified = verifySignature(body, signatureHeadersFrom(header), config);
      return verified.ok
        ? { ok: true, signatureAlg: verified.algorithm }
        : { ok: false, failure: verified.failure };
    },
    origin: { sourceName: name, api: "freight", envelope: (body) => parseEnvelope(body) },
  };
}

export interface LogisticsSourceOptions extends LogisticsEnvelopeOptions {
  readonly auth: LogisticsAuth;
  readonly maxBodyBytes: number;
}

/** A Logistics API source: a token or Basic credentials (or nothing), and the flat body. */
export function createLogisticsSource(name: string, options: LogisticsSourceOptions): ReceivingSource {
  return {
    name,
    api: "logistics",
    maxBodyBytes: options.maxBodyBytes,
    authenticate: (_body, header) => {
      const verified = verifyLogisticsAuth(options.auth, header);
      return verified.ok ? { ok: true, signatureAlg: null } : { ok: false, failure: verified.failure };
    },
    origin: {
      sourceName: name,
      api: "logistics",
      envelope: (body: Uint8Array, payloadSha256: string): EnvelopeResult =>
        parseLogisticsEnvelope(body, payloadSha256, options),
    },
  };
}

/**
 * Authenticate first, parse second: nothing about an unauthenticated body is looked at, so
 * forged input can neither reach storage nor exercise the parser.
 */
export function decideFor(source: ReceivingSource, body: Uint8Array, header: HeaderLookup): Decision {
  if (body.byteLength > source.maxBodyBytes) return { kind: "too_large" };
  const verified = source.authenticate(body, header);
  if (!verified.ok) return { kind: "unauthorized", failure: verified.failure };

  const result = verifiedEvent(body, verified.signatureAlg, "webhook", source.origin);
  if (result.ok) return { kind: "event", event: result.event };
  return {
    kind: "quarantine",
    body: {
      reason: result.problem,
      detail: result.message,
      payload: body,
      payloadSha256: result.payloadSha256,
      eventId: null,
      signatureAlg: verified.signatureAlg,
      sourceName: source.name,
    },
  };
}

/** The default freight source's decision from already-extracted signature headers. */
export function decide(body: Uint8Array, headers: SignatureHeaders, config: ReceiveConfig): Decision {
  return decideFor(createFreightSource(DEFAULT_SOURCE, config), body, lookupOf(headers));
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
export async function receiveFor(
  source: ReceivingSource,
  body: Uint8Array,
  header: HeaderLookup,
  recorder: EventRecorder,
  now: Date = new Date(),
): Promise<ReceiveResult> {
  const decision = decideFor(source, body, header);
  switch (decision.kind) {
    case "too_large":
      return failure(
        "payload_too_large",
        "too_large",
        {},
        `body is larger than ${source.maxBodyBytes} bytes`,
      );
    case "unauthorized":
      return failure(
        "unauthorized",
        "unauthorized",
        { reason: decision.failure },
        source.api === "logistics" ? LOGISTICS_UNAUTHORIZED : undefined,
      );
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

/** The default freight source, from already-extracted signature headers (Cloud Function, tests). */
export function receive(
  body: Uint8Array,
  headers: SignatureHeaders,
  config: ReceiveConfig,
  recorder: EventRecorder,
  now: Date = new Date(),
): Promise<ReceiveResult> {
  return receiveFor(createFreightSource(DEFAULT_SOURCE, config), body, lookupOf(headers), recorder, now);
}

const LOGISTICS_UNAUTHORIZED = "missing or invalid credentials";

function lookupOf(headers: SignatureHeaders): HeaderLookup {
  return (name) =>
    name === "x-hub-signature-256" ? headers.sha256 : name === "x-hub-signature" ? headers.sha1 : undefined;
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
export function signatureHeadersFrom(get: HeaderLookup): SignatureHeaders {
  return { sha256: single(get("x-hub-signature-256")), sha1: single(get("x-hub-signature")) };
}

function single(value: string | readonly string[] | undefined): string | undefined {
  return typeof value === "string" || value === undefined ? value : value.join(", ");
}
