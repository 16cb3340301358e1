/**
 * Every error a client can see, with its HTTP status and the message it gets. One place,
 * so adapters (HTTP server, Cloud Function) answer alike and tests assert on codes.
 * 5xx messages say no more than what the client can act on.
 */
export const ERRORS = {
  unauthorized: { status: 401, message: "missing or invalid webhook signature" },
  invalid_json: { status: 400, message: "body is not valid JSON" },
  invalid_event: { status: 400, message: "body is not a Flexport event" },
  bad_request: { status: 400, message: "the request could not be read" },
  payload_too_large: { status: 413, message: "body is larger than the configured limit" },
  not_found: { status: 404, message: "no such route" },
  method_not_allowed: { status: 405, message: "method not allowed" },
  request_timeout: { status: 408, message: "request took too long" },
  store_unavailable: { status: 503, message: "storage is unavailable; retry later" },
  shutting_down: { status: 503, message: "server is shutting down; retry later" },
  internal_error: { status: 500, message: "internal error" },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERRORS;

export interface ErrorBody {
  readonly error: ErrorCode;
  readonly message: string;
}

export function errorBody(code: ErrorCode, message: string = ERRORS[code].message): ErrorBody {
  return { error: code, message };
}

/** Seconds a client should wait after a 503: long enough for a store to come back. */
export const RETRY_AFTER_SECONDS = 5;
