import { createHash } from "node:crypto";
import type { AlertMessage } from "../alerts/alert-message.js";

/** An alert as kept in `portcall_alerts`. */
export interface AlertRecord {
  readonly destination: string;
  readonly rule: string;
  readonly subject: string;
  readonly alertId: string;
  readonly eventId: string | null;
  readonly title: string;
  /** pending (not yet accepted), sent, or dead (its outbox row gave up: `portcall export retry --dead`). */
  readonly status: "pending" | "sent" | "dead";
  readonly attempts: number;
  readonly lastError: string | null;
  readonly createdAt: string;
  readonly sentAt: string | null;
}

export interface EtaObservation {
  readonly eventId: string;
  readonly shipmentId: string;
  /** The event's time (ISO-8601). */
  readonly eventAt: string;
  readonly eta: string;
}

export interface NewAlert {
  readonly destination: string;
  readonly rule: string;
  readonly subject: string;
  readonly eventId: string | null;
  readonly message: AlertMessage;
}

/**
 * The idempotency state of alerts, in the store's database (`EventStore.alertLog()`, owned
 * and closed by the store). `open` is the once-only step:
 * the first call for a (destination, rule, subject) creates the row, every later one
 * (a redelivered outbox row, a second receiver, a retry) finds it.
 */
export interface AlertLog {
  /** Creates the alert unless it exists; either way returns its status. */
  open(alert: NewAlert): Promise<{ readonly status: "pending" | "sent" }>;
  /**
   * `open` for each alert in one transaction, statuses in the same order. An alert given
   * twice is created once and is "pending" both times: the caller sends it once.
   */
  openAll(alerts: readonly NewAlert[]): Promise<("pending" | "sent")[]>;
  markSent(alertId: string): Promise<void>;
  /** `markSent` for each, in one transaction. */
  markSentAll(alertIds: readonly string[]): Promise<void>;
  markFailed(alertId: string, error: string): Promise<void>;
  /** The shipment's estimate in the latest event before `eventAt` that stated one, with that event's time. */
  previousEta(shipmentId: string, eventAt: string, eventId: string): Promise<EtaObservation | null>;
  /** Records estimates as events state them, first write wins; one transaction for all. */
  recordEtas(observations: readonly EtaObservation[]): Promise<void>;
  /** Alerts of a rule not yet sent, with their messages (alerts not about one event: gaps). */
  pendingMessages(
    rule: string,
  ): Promise<{ readonly destination: string; readonly alertId: string; readonly message: AlertMessage }[]>;
  /** Newest first. */
  list(query: { readonly limit: number; readonly destination?: string | undefined }): Promise<AlertRecord[]>;
  /**
   * Takes or renews the named lease for `holder` until `ms` from now, unless another holder
   * has it; returns whether this holder has it, and the state stored with it.
   */
  lease(
    name: string,
    holder: string,
    ms: number,
  ): Promise<{ readonly held: boolean; readonly state: string | null }>;
  /** Stores state with a lease this holder has. */
  saveLeaseState(name: string, holder: string, state: string): Promise<void>;
}

/**
 * The alert's id, a pure function of what makes it unique, so that even a row lost and
 * made again is sent with the same idempotency key.
 */
export function alertIdOf(destination: string, rule: string, subject: string): string {
  return `pc_${createHash("sha256").update(`${destination}\n${rule}\n${subject}`).digest("hex").slice(0, 32)}`;
}

/** The outbox sink that feeds a destination. */
export const destinationSinkName = (destination: string): string => `destination:${destination}`;

/** A `portcall_alerts` row as both dialects read it, with whether its outbox row is dead. */
export interface AlertRow {
  destination: string;
  rule: string;
  subject: string;
  alert_id: string;
  event_id: string | null;
  title: string;
  status: "pending" | "sent";
  attempts: number;
  last_error: string | null;
  created_at: string | Date;
  sent_at: string | Date | null;
  dead: number | boolean;
}

const iso = (v: string | Date | null): string | null => (v instanceof Date ? v.toISOString() : v);

export function alertRecordOf(r: AlertRow): AlertRecord {
  return {
    destination: r.destination,
    rule: r.rule,
    subject: r.subject,
    alertId: r.alert_id,
    eventId: r.event_id,
    title: r.title,
    status: r.status === "sent" ? "sent" : r.dead ? "dead" : "pending",
    attempts: r.attempts,
    lastError: r.last_error,
    createdAt: iso(r.created_at) ?? "",
    sentAt: iso(r.sent_at),
  };
}
