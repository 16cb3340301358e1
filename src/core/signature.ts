import { createHmac, timingSafeEqual } from "node:crypto";

/** Which header authenticated a delivery. */
export type SignatureAlgorithm = "sha256" | "sha1";

export interface SignatureOptions {
  /** Every secret currently accepted; more than one during a rotation. */
  readonly secrets: readonly string[];
  /** Accept the legacy `X-Hub-Signature: sha1=…` header when no SHA-256 header is sent. */
  readonly acceptSha1: boolean;
}

/** The two signature header values as received (undefined when absent). */
export interface SignatureHeaders {
  readonly sha256: string | undefined;
  readonly sha1: string | undefined;
}

export type VerifyFailure = "missing" | "malformed" | "mismatch" | "sha1_disabled";

export type VerifyResult =
  | { readonly ok: true; readonly algorithm: SignatureAlgorithm }
  | { readonly ok: false; readonly failure: VerifyFailure };

const DIGEST_HEX_LENGTH: Record<SignatureAlgorithm, number> = { sha256: 64, sha1: 40 };
const HEX = /^[0-9a-fA-F]+$/;

/**
 * Verifies a delivery against the exact bytes received.
 *
 * When `X-Hub-Signature-256` is present it alone decides: a bad SHA-256 signature is not
 * rescued by a good SHA-1 one, so an attacker cannot downgrade to the weaker digest.
 * Never throws, whatever the header holds.
 */
export function verifySignature(
  body: Uint8Array,
  headers: SignatureHeaders,
  options: SignatureOptions,
): VerifyResult {
  if (headers.sha256 !== undefined) {
    return verifyWith("sha256", body, headers.sha256, options.secrets);
  }
  if (headers.sha1 !== undefined) {
    if (!options.acceptSha1) return { ok: false, failure: "sha1_disabled" };
    return verifyWith("sha1", body, headers.sha1, options.secrets);
  }
  return { ok: false, failure: "missing" };
}

function verifyWith(
  algorithm: SignatureAlgorithm,
  body: Uint8Array,
  headerValue: string,
  secrets: readonly string[],
): VerifyResult {
  const received = parseDigest(algorithm, headerValue);
  if (received === undefined) return { ok: false, failure: "malformed" };
  // Compare against every secret without stopping early, so the time taken does not
  // depend on which secret (if any) matched.
  let matched = false;
  for (const secret of secrets) {
    const expected = createHmac(algorithm, secret).update(body).digest();
    if (timingSafeEqual(expected, received)) matched = true;
  }
  return matched ? { ok: true, algorithm } : { ok: false, failure: "mismatch" };
}

/**
 * Accepts `sha256=<hex>` or a bare `<hex>` (some proxies strip the prefix), hex in either
 * case. Returns undefined for anything else, including a digest of the wrong length, so
 * the comparison always sees two buffers of equal length.
 */
function parseDigest(algorithm: SignatureAlgorithm, headerValue: string): Buffer | undefined {
  let hex = headerValue.trim();
  const prefix = `${algorithm}=`;
  if (hex.length > prefix.length && hex.slice(0, prefix.length).toLowerCase() === prefix) {
    hex = hex.slice(prefix.length);
  }
  if (hex.length !== DIGEST_HEX_LENGTH[algorithm] || !HEX.test(hex)) return undefined;
  return Buffer.from(hex, "hex");
}

/** Computes both header values for a body, as a sender (Flexport, `portcall send`) does. */
export function signBody(body: Uint8Array, secret: string): Record<string, string> {
  return {
    "x-hub-signature-256": `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`,
    "x-hub-signature": `sha1=${createHmac("sha1", secret).update(body).digest("hex")}`,
  };
}
