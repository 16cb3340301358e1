import { createHash } from "node:crypto";
import type { EventSource, KeptEvent } from "../../src/core/event-recorder.js";
import { keptEvent, signatureAlgorithmOf, verifiedEvent } from "../../src/core/verified-event.js";
import { makeEvent } from "./fixtures.js";

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

/**
 * The body sent for an id is a pure function of the id, so a redelivery carries the same
 * bytes and a checker in another process can recompute what must be stored.
 */
export function eventBody(id: string, padBytes = 0): string {
  const body = makeEvent({ id: Number(id) });
  if (padBytes === 0) return body;
  return `${body.slice(0, -1)},"padding":"${"x".repeat(padBytes)}"}`;
}

export function sha256(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** A small deterministic PRNG (mulberry32): random moments that a seed reproduces. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** As eventBody, but every fourth id is an exception milestone (a port strike), which alerts. */
export function alertingEventBody(id: string): string {
  return isAlerting(id) ? makeEvent({ id: Number(id), type: "/shipment#port_strike_delay" }) : eventBody(id);
}

export const isAlerting = (id: string): boolean => BigInt(id) % 4n === 0n;
