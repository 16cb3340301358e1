import { createHash, timingSafeEqual } from "node:crypto";

/**
 * How a Logistics API webhook subscription authenticates (its `authMethod`): a static token
 * in a header the subscriber names, HTTP Basic, or nothing at all. There is no HMAC, so the
 * credential is the only proof a delivery came from Flexport.
 */
export type LogisticsAuth =
  | {
      readonly kind: "token";
      /** Lower-case header name, e.g. x-flexport-token. */
      readonly header: string;
      /** Every token currently accepted (more than one during a rotation). */
      readonly tokens: readonly string[];
    }
  | { readonly kind: "basic"; readonly credentials: readonly { username: string; password: string }[] }
  | { readonly kind: "none" };

export type LogisticsAuthFailure = "missing" | "malformed" | "mismatch";

export type LogisticsAuthResult =
  | { readonly ok: true }
  | { readonly ok: false; readonly failure: LogisticsAuthFailure };

export type HeaderLookup = (lowercaseName: string) => string | readonly string[] | undefined;

/**
 * Credentials are compared as SHA-256 digests with timingSafeEqual: both sides then have the
 * same length whatever was sent, so neither the length nor the content of the expected
 * value leaks through timing. Every accepted value is compared, without stopping early.
 */
export function verifyLogisticsAuth(auth: LogisticsAuth, header: HeaderLookup): LogisticsAuthResult {
  if (auth.kind === "none") return { ok: true };
  if (auth.kind === "token") {
    const sent = single(header(auth.header));
    if (sent === undefined || sent.length === 0) return { ok: false, failure: "missing" };
    return anyEqual(sent, auth.tokens) ? { ok: true } : { ok: false, failure: "mismatch" };
  }
  const authorization = single(header("authorization"));
  if (authorization === undefined) return { ok: false, failure: "missing" };
  const match = /^basic[ \t]+([A-Za-z0-9+/=_-]+)[ \t]*$/i.exec(authorization);
  if (match === null) return { ok: false, failure: "malformed" };
  const sent = Buffer.from(match[1] ?? "", "base64").toString("utf8");
  const expected = auth.credentials.map((c) => `${c.username}:${c.password}`);
  return anyEqual(sent, expected) ? { ok: true } : { ok: false, failure: "mismatch" };
}

function anyEqual(sent: string, accepted: readonly string[]): boolean {
  const received = digest(sent);
  let matched = false;
  for (const value of accepted) {
    if (timingSafeEqual(digest(value), received)) matched = true;
  }
  return matched;
}

function digest(value: string): Buffer {
  return createHash("sha256").update(value, "utf8").digest();
}

/** A header sent twice arrives joined, and so never equals a single credential: the safe answer. */
function single(value: string | readonly string[] | undefined): string | undefined {
  return typeof value === "string" || value === undefined ? value : value.join(", ");
}

/** The headers a sender (`portcall send`, a test) adds to authenticate as a Logistics source. */
export function logisticsAuthHeaders(auth: LogisticsAuth): Record<string, string> {
  if (auth.kind === "none") return {};
  if (auth.kind === "token") return { [auth.header]: auth.tokens[0] ?? "" };
  const first = auth.credentials[0];
  if (first === undefined) return {};
  return {
    authorization: `Basic ${Buffer.from(`${first.username}:${first.password}`, "utf8").toString("base64")}`,
  };
}
