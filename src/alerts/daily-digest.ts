import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import type { Destination } from "../destinations/destination.js";
import { errorMessage } from "../sinks/export-sink.js";
import { alertIdOf } from "../stores/alert-log.js";
import type { ShipmentStatusRow } from "../stores/reports.js";
import type { EventStore } from "../stores/store.js";
import { type AlertMessage, plainMessage } from "./alert-message.js";

export const DIGEST_RULE = "daily-digest";
const DAY_MS = 86_400_000;
const LISTED = 15;

/** The digest of one day, from the shipment status view: holds, open exceptions, arrivals due. */
export function digestMessage(
  id: string,
  day: string,
  shipments: readonly ShipmentStatusRow[],
  now: Date,
  publicUrl: string | undefined,
): AlertMessage {
  const name = (s: ShipmentStatusRow) => `${s.shipment_name ?? "(no name)"} (#${s.shipment_id})`;
  const holds = shipments.filter((s) => s.customs_hold_open);
  const exceptions = shipments.filter((s) => s.exception_open && !s.customs_hold_open);
  const horizon = now.getTime() + 2 * DAY_MS;
  const due = shipments.filter((s) => {
    const eta = s.estimated_arrival_date === null ? Number.NaN : Date.parse(s.estimated_arrival_date);
    return !s.delivered && s.actual_arrival_date === null && eta >= now.getTime() - DAY_MS && eta <= horizon;
  });
  const section = (
    title: string,
    rows: readonly ShipmentStatusRow[],
    what: (s: ShipmentStatusRow) => string,
  ) => [
    `${title}: ${rows.length}`,
    ...rows.slice(0, LISTED).map((s) => `  • ${name(s)}: ${what(s)}`),
    ...(rows.length > LISTED ? [`  … and ${rows.length - LISTED} more`] : []),
  ];
  return plainMessage(
    id,
    DIGEST_RULE,
    `portcall daily digest ${day}: ${holds.length} on hold, ${exceptions.length} exceptions, ${due.length} arriving`,
    [
      ...section("Customs holds open", holds, (s) => `since ${s.last_customs_hold_at ?? "?"}`),
      ...section(
        "Open exceptions",
        exceptions,
        (s) => `${s.last_exception_label ?? "exception"} at ${s.last_exception_at ?? "?"}`,
      ),
      ...section("Arrivals due (next 48 h)", due, (s) => `ETA ${s.estimated_arrival_date ?? "?"}`),
    ],
    publicUrl === undefined ? null : `${publicUrl.replace(/\/+$/, "")}/ui/`,
  );
}

/** Options of the digest scheduler. */
export interface DailyDigestOptions {
  readonly store: EventStore;
  /** Each destination with its digest time, "HH:MM" UTC. */
  readonly destinations: readonly { readonly destination: Destination; readonly at: string }[];
  readonly publicUrl?: string | undefined;
  readonly logger?: Pick<Logger, "warn"> | undefined;
  readonly now?: () => Date;
}

/**
 * Once a day per destination, after its time: one digest, keyed by (destination, day) in the
 * alert log so a restart or a second receiver does not send it twice; a lease per
 * destination keeps two receivers from building it at once.
 */
export function createDailyDigest(options: DailyDigestOptions) {
  const holder = randomUUID();
  const now = options.now ?? (() => new Date());
  const log = options.store.alertLog();
  let timer: NodeJS.Timeout | undefined;

  async function runOnce(): Promise<number> {
    const at = now();
    const day = at.toISOString().slice(0, 10);
    let sent = 0;
    for (const { destination, at: time } of options.destinations) {
      if (at.toISOString().slice(11, 16) < time) continue;
      const lease = await log.lease(`digest:${destination.name}`, holder, 60_000);
      if (!lease.held) continue;
      const alertId = alertIdOf(destination.name, DIGEST_RULE, day);
      const shipments = await options.store.reports().shipments({});
      const message = digestMessage(alertId, day, shipments, at, options.publicUrl);
      const { status } = await log.open({
        destination: destination.name,
        rule: DIGEST_RULE,
        subject: day,
        eventId: null,
        message,
      });
      if (status === "sent") continue;
      try {
        await destination.send({ id: alertId, timestamp: at, message });
        await log.markSent(alertId);
        sent++;
      } catch (error) {
        await log.markFailed(alertId, errorMessage(error));
        options.logger?.warn(
          { destination: destination.name, error: errorMessage(error) },
          "digest not sent; will retry",
        );
      }
    }
    return sent;
  }

  return {
    runOnce,
    start() {
      const tick = () =>
        void runOnce().catch((error: unknown) =>
          options.logger?.warn({ error: errorMessage(error) }, "digest failed"),
        );
      timer = setInterval(tick, 60_000);
      timer.unref();
      tick();
    },
    stop() {
      if (timer !== undefined) clearInterval(timer);
    },
  };
}
