import type { EventSource, KeptEvent } from "../../src/core/event-recorder.js";
import { keptEvent, signatureAlgorithmOf, verifiedEvent } from "../../src/core/verified-event.js";

/**
 * A body as portcall would have kept it, built by the same function every entry point
 * uses; throws when the body is not a usable event.
 */
export function keptEventFrom(
  body: string | Uint8Array,
  receivedAt: string,
  signatureAlg: string | null = "sha256",
  source: EventSource = "webhook",
): KeptEvent {
  const bytes = typeof body === "string" ? Buffer.from(body, "utf8") : body;
  const parsed = verifiedEvent(bytes, signatureAlgorithmOf(signatureAlg), source);
  if (!parsed.ok) throw new Error(parsed.message);
  return keptEvent(parsed.event, new Date(receivedAt));
}
