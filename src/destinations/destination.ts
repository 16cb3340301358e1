import type { AlertMessage } from "../alerts/alert-message.js";

/** What a destination is asked to send: a message for people, or a raw event to forward. */
export interface Outgoing {
  /** Stable per (rule, subject, destination); sent as the idempotency key where the destination takes one. */
  readonly id: string;
  readonly timestamp: Date;
  readonly message: AlertMessage;
  /** Set when the rule forwards the event itself: the exact bytes received. */
  readonly event?: { readonly id: string; readonly type: string; readonly payload: string } | undefined;
}

/**
 * A place alerts go. One file per kind (slack, email, webhook); SDKs load lazily when the
 * destination is built. `send` resolves once the destination accepted the message and
 * rejects with a DestinationError otherwise; the exporter retries with backoff.
 */
export interface Destination {
  readonly name: string;
  readonly kind: "slack" | "email" | "webhook";
  /** Where it sends, for status output; never a secret (Slack URLs are secrets: only the host). */
  readonly target: string;
  send(outgoing: Outgoing): Promise<void>;
  close(): Promise<void>;
}

export class DestinationError extends Error {
  constructor(
    message: string,
    /** HTTP status or SMTP response code, when there was one. */
    readonly code?: number,
    /** The code is an SMTP reply code (5yz permanent, 4yz transient), not an HTTP status. */
    readonly smtp = false,
  ) {
    super(message);
    this.name = "DestinationError";
  }
}

/** scheme://host[:port] only: paths and queries of webhook URLs often carry tokens. */
export function hostOf(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}`;
  } catch {
    return "(invalid URL)";
  }
}
