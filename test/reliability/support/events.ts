import { createHash } from "node:crypto";
import { makeEvent } from "../../helpers/fixtures.js";

/**
 * The body sent for an id is a pure function of the id, so a redelivery carries the same
 * bytes and a checker in another process can recompute what must be stored.
 */
export function eventBody(id: string, padBytes = 0): string {
  const body = makeEvent({ id: Number(id) });
  if (padBytes === 0) return body;
  return `${body.slice(0, -1)},"padding":"${"x".repeat(padBytes)}"}`;
}

/** As eventBody, but every fourth id is an exception milestone (a port strike), which alerts. */
export function alertingEventBody(id: string): string {
  return isAlerting(id) ? makeEvent({ id: Number(id), type: "/shipment#port_strike_delay" }) : eventBody(id);
}

export const isAlerting = (id: string): boolean => BigInt(id) % 4n === 0n;

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
