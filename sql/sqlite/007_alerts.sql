-- Alerts: destinations (Slack, email, signed webhooks) are export sinks named
-- 'destination:<name>', fed by the same outbox trigger as the archive and BigQuery. The
-- exporter derives each event's alerts from committed state; these tables make that
-- derivation idempotent (docs/alerts.md, "Exactly once").

-- One row per (destination, rule, subject): the key that makes an alert happen once. The
-- subject is the event id, or container:<number>:<last free day> for free time, or the
-- day for a digest. A redelivery, a replay or a retry finds the row and does not send twice.
CREATE TABLE portcall_alerts (
  destination   TEXT NOT NULL,
  rule          TEXT NOT NULL,
  subject       TEXT NOT NULL,
  alert_id      TEXT NOT NULL UNIQUE,            -- sent as the idempotency key (webhook-id)
  event_id      TEXT,                            -- the event it is about, when there is one
  title         TEXT NOT NULL,
  message       TEXT NOT NULL,                   -- the rendered AlertMessage, JSON
  status        TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent')),
  attempts      INTEGER NOT NULL DEFAULT 0,
  last_error    TEXT,
  created_at    TEXT NOT NULL,
  sent_at       TEXT,
  PRIMARY KEY (destination, rule, subject)
);

CREATE INDEX portcall_alerts_created_at ON portcall_alerts (created_at);
CREATE INDEX portcall_alerts_event ON portcall_alerts (event_id);

-- Each shipment's estimated arrival as every event stated it, so an ETA slip compares with
-- the previous estimate without re-reading every payload of the shipment.
CREATE TABLE portcall_shipment_etas (
  event_id      TEXT PRIMARY KEY,
  shipment_id   TEXT NOT NULL,
  event_at      TEXT NOT NULL,                   -- occurred_at, else created_at
  eta           TEXT NOT NULL
);

CREATE INDEX portcall_shipment_etas_shipment ON portcall_shipment_etas (shipment_id, event_at);

-- Destinations drain in commit order: they claim by rowid (insertion order), not by due time.
CREATE INDEX portcall_outbox_ordered ON portcall_outbox (sink) WHERE dead_at IS NULL;

-- Leases for work one receiver of several should do (scheduled reconcile, digests).
CREATE TABLE portcall_leases (
  name          TEXT PRIMARY KEY,
  holder        TEXT NOT NULL,
  expires_at    TEXT NOT NULL,
  state         TEXT                             -- what the holder needs to resume, JSON
);
