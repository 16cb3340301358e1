import type pg from "pg";
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

/** The alert log on PostgreSQL, over the store's pool; several receivers share it safely. */
export class PostgresAlertLog implements AlertLog {
  constructor(private readonly pool: pg.Pool) {}

  async open(alert: NewAlert): Promise<{ status: "pending" | "sent" }> {
    const [status] = await this.openAll([alert]);
    return { status: status ?? "pending" };
  }

  async openAll(alerts: readonly NewAlert[]): Promise<("pending" | "sent")[]> {
    if (alerts.length === 0) return [];
    // The join reads the table as it was before this statement: a row it inserts (or one
    // given twice) shows as no row, which is "pending".
    const { rows } = await this.pool.query<{ status: "pending" | "sent" | null }>(
      `WITH input AS (
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])
           WITH ORDINALITY AS t(destination, rule, subject, alert_id, event_id, title, message, n)),
       inserted AS (
         INSERT INTO portcall_alerts (destination, rule, subject, alert_id, event_id, title, message)
         SELECT destination, rule, subject, alert_id, event_id, title, message FROM input ORDER BY n
         ON CONFLICT DO NOTHING RETURNING alert_id)
       SELECT a.status FROM input i
         LEFT JOIN portcall_alerts a ON a.destination = i.destination AND a.rule = i.rule AND a.subject = i.subject
       ORDER BY i.n`,
      [
        alerts.map((a) => a.destination),
        alerts.map((a) => a.rule),
        alerts.map((a) => a.subject),
        alerts.map((a) => alertIdOf(a.destination, a.rule, a.subject)),
        alerts.map((a) => a.eventId),
        alerts.map((a) => a.message.title),
        alerts.map((a) => JSON.stringify(a.message)),
      ],
    );
    return rows.map((r) => r.status ?? "pending");
  }

  async markSent(alertId: string): Promise<void> {
    await this.markSentAll([alertId]);
  }

  async markSentAll(alertIds: readonly string[]): Promise<void> {
    if (alertIds.length === 0) return;
    await this.pool.query(
      "UPDATE portcall_alerts SET status = 'sent', sent_at = now(), attempts = attempts + 1 WHERE alert_id = ANY($1::text[])",
      [alertIds],
    );
  }

  async markFailed(alertId: string, error: string): Promise<void> {
    await this.pool.query(
      "UPDATE portcall_alerts SET attempts = attempts + 1, last_error = $2 WHERE alert_id = $1",
      [alertId, error],
    );
  }

  async previousEta(shipmentId: string, eventAt: string, eventId: string): Promise<EtaObservation | null> {
    const { rows } = await this.pool.query<{ event_id: string; event_at: Date; eta: string }>(
      `SELECT event_id, event_at, eta FROM portcall_shipment_etas WHERE shipment_id = $1 AND event_at < $2 AND event_id <> $3
       ORDER BY event_at DESC, event_id DESC LIMIT 1`,
      [shipmentId, eventAt, eventId],
    );
    const row = rows[0];
    return row === undefined
      ? null
      : { eventId: row.event_id, shipmentId, eventAt: row.event_at.toISOString(), eta: row.eta };
  }

  async recordEtas(observations: readonly EtaObservation[]): Promise<void> {
    if (observations.length === 0) return;
    await this.pool.query(
      `INSERT INTO portcall_shipment_etas (event_id, shipment_id, event_at, eta)
       SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[])
       ON CONFLICT DO NOTHING`,
      [
        observations.map((o) => o.eventId),
        observations.map((o) => o.shipmentId),
        observations.map((o) => o.eventAt),
        observations.map((o) => o.eta),
      ],
    );
  }

  async pendingMessages(
    rule: string,
  ): Promise<{ destination: string; alertId: string; message: AlertMessage }[]> {
    const { rows } = await this.pool.query<{ destination: string; alert_id: string; message: string }>(
      "SELECT destination, alert_id, message FROM portcall_alerts WHERE rule = $1 AND status = 'pending' ORDER BY created_at",
      [rule],
    );
    return rows.map((r) => ({
      destination: r.destination,
      alertId: r.alert_id,
      message: JSON.parse(r.message) as AlertMessage,
    }));
  }

  async list(query: { limit: number; destination?: string | undefined }): Promise<AlertRecord[]> {
    const { rows } = await this.pool.query<AlertRow>(
      `SELECT a.*, EXISTS (SELECT 1 FROM portcall_outbox o WHERE o.sink = 'destination:' || a.destination
                           AND o.event_id = a.event_id AND o.dead_at IS NOT NULL) AS dead
       FROM portcall_alerts a WHERE ($1::text IS NULL OR a.destination = $1)
       ORDER BY a.created_at DESC, a.alert_id DESC LIMIT $2`,
      [query.destination ?? null, query.limit],
    );
    return rows.map(alertRecordOf);
  }

  async lease(name: string, holder: string, ms: number): Promise<{ held: boolean; state: string | null }> {
    const { rows } = await this.pool.query<{ holder: string; state: string | null }>(
      `WITH taken AS (
         INSERT INTO portcall_leases (name, holder, expires_at) VALUES ($1, $2, now() + $3 * interval '1 millisecond')
         ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
         WHERE portcall_leases.holder = excluded.holder OR portcall_leases.expires_at < now()
         RETURNING holder, state)
       SELECT holder, state FROM taken
       UNION ALL SELECT holder, state FROM portcall_leases WHERE name = $1 AND NOT EXISTS (SELECT 1 FROM taken)`,
      [name, holder, ms],
    );
    return { held: rows[0]?.holder === holder, state: rows[0]?.state ?? null };
  }

  async saveLeaseState(name: string, holder: string, state: string): Promise<void> {
    await this.pool.query("UPDATE portcall_leases SET state = $3 WHERE name = $1 AND holder = $2", [
      name,
      holder,
      state,
    ]);
  }
}
