import type Database from "better-sqlite3";
import type { AlertMessage } from "../../alerts/alert-message.js";
import {
  type AlertLog,
  type AlertRecord,
  type AlertRow,
  alertIdOf,
  alertRecordOf,
  type EtaObservation,
  type NewAlert,
} from "../alert-log.js";
import { cachedPrepare } from "./sqlite-connection.js";
import { writeRetrying } from "./sqlite-outbox.js";

/** The alert log on SQLite, on the outbox's connection (no busy wait on the event loop, no fsync per commit). */
export class SqliteAlertLog implements AlertLog {
  private readonly prepare: Database.Database["prepare"];

  constructor(private readonly db: Database.Database) {
    this.prepare = cachedPrepare(db);
  }

  async open(alert: NewAlert): Promise<{ status: "pending" | "sent" }> {
    const [status] = await this.openAll([alert]);
    return { status: status ?? "pending" };
  }

  async openAll(alerts: readonly NewAlert[]): Promise<("pending" | "sent")[]> {
    if (alerts.length === 0) return [];
    const insert = this.prepare(
      `INSERT INTO portcall_alerts (destination, rule, subject, alert_id, event_id, title, message, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
    );
    const select = this.prepare<[string, string, string], { status: "pending" | "sent" }>(
      "SELECT status FROM portcall_alerts WHERE destination = ? AND rule = ? AND subject = ?",
    );
    const now = new Date().toISOString();
    return writeRetrying(this.db, () =>
      alerts.map((alert) => {
        insert.run(
          alert.destination,
          alert.rule,
          alert.subject,
          alertIdOf(alert.destination, alert.rule, alert.subject),
          alert.eventId,
          alert.message.title,
          JSON.stringify(alert.message),
          now,
        );
        return select.get(alert.destination, alert.rule, alert.subject)?.status ?? "pending";
      }),
    );
  }

  async markSent(alertId: string): Promise<void> {
    await this.markSentAll([alertId]);
  }

  async markSentAll(alertIds: readonly string[]): Promise<void> {
    if (alertIds.length === 0) return;
    const update = this.prepare(
      "UPDATE portcall_alerts SET status = 'sent', sent_at = ?, attempts = attempts + 1 WHERE alert_id = ?",
    );
    const now = new Date().toISOString();
    await writeRetrying(this.db, () => {
      for (const id of alertIds) update.run(now, id);
    });
  }

  async markFailed(alertId: string, error: string): Promise<void> {
    await writeRetrying(this.db, () =>
      this.prepare(
        "UPDATE portcall_alerts SET attempts = attempts + 1, last_error = ? WHERE alert_id = ?",
      ).run(error, alertId),
    );
  }

  async previousEta(shipmentId: string, eventAt: string, eventId: string): Promise<EtaObservation | null> {
    const row = this.prepare<[string, string, string], { event_id: string; event_at: string; eta: string }>(
      `SELECT event_id, event_at, eta FROM portcall_shipment_etas WHERE shipment_id = ? AND event_at < ? AND event_id <> ?
         ORDER BY event_at DESC, event_id DESC LIMIT 1`,
    ).get(shipmentId, normalise(eventAt), eventId);
    return row === undefined
      ? null
      : { eventId: row.event_id, shipmentId, eventAt: row.event_at, eta: row.eta };
  }

  async recordEtas(observations: readonly EtaObservation[]): Promise<void> {
    if (observations.length === 0) return;
    const insert = this.prepare(
      "INSERT INTO portcall_shipment_etas (event_id, shipment_id, event_at, eta) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
    );
    await writeRetrying(this.db, () => {
      for (const o of observations) insert.run(o.eventId, o.shipmentId, normalise(o.eventAt), o.eta);
    });
  }

  async pendingMessages(
    rule: string,
  ): Promise<{ destination: string; alertId: string; message: AlertMessage }[]> {
    return this.prepare<[string], { destination: string; alert_id: string; message: string }>(
      "SELECT destination, alert_id, message FROM portcall_alerts WHERE rule = ? AND status = 'pending' ORDER BY created_at",
    )
      .all(rule)
      .map((r) => ({
        destination: r.destination,
        alertId: r.alert_id,
        message: JSON.parse(r.message) as AlertMessage,
      }));
  }

  async list(query: { limit: number; destination?: string | undefined }): Promise<AlertRecord[]> {
    const rows = this.prepare<[string | null, string | null, number], AlertRow>(
      `SELECT a.*, EXISTS (SELECT 1 FROM portcall_outbox o WHERE o.sink = 'destination:' || a.destination
                              AND o.event_id = a.event_id AND o.dead_at IS NOT NULL) AS dead
         FROM portcall_alerts a WHERE (? IS NULL OR a.destination = ?)
         ORDER BY a.created_at DESC, a.rowid DESC LIMIT ?`,
    ).all(query.destination ?? null, query.destination ?? null, query.limit);
    return rows.map(alertRecordOf);
  }

  async lease(name: string, holder: string, ms: number): Promise<{ held: boolean; state: string | null }> {
    const now = new Date();
    return writeRetrying(this.db, () => {
      this.prepare(
        `INSERT INTO portcall_leases (name, holder, expires_at) VALUES (?, ?, ?)
           ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
           WHERE portcall_leases.holder = excluded.holder OR portcall_leases.expires_at < ?`,
      ).run(name, holder, new Date(now.getTime() + ms).toISOString(), now.toISOString());
      const row = this.prepare<[string], { holder: string; state: string | null }>(
        "SELECT holder, state FROM portcall_leases WHERE name = ?",
      ).get(name);
      return { held: row?.holder === holder, state: row?.state ?? null };
    });
  }

  async saveLeaseState(name: string, holder: string, state: string): Promise<void> {
    await writeRetrying(this.db, () =>
      this.prepare("UPDATE portcall_leases SET state = ? WHERE name = ? AND holder = ?").run(
        state,
        name,
        holder,
      ),
    );
  }
}

/** Event times compare as text only in one form: UTC with milliseconds. */
function normalise(at: string): string {
  const ms = Date.parse(at);
  return Number.isNaN(ms) ? at : new Date(ms).toISOString();
}
