-- Alerts: destinations (Slack, email, signed webhooks) are export sinks named
-- 'destination:<name>', fed by the same outbox trigger as the archive and BigQuery. The
-- exporter derives each event's alerts from committed state; these tables make that
-- derivation idempotent (docs/alerts.md, "Exactly once").

-- One row per (destination, rule, subject): the key that makes an alert happen once. The
-- subject is the event id, or container:<number>:<last free day> for free time, or the
-- day for a digest. A redelivery, a replay, a retry or a second receiver finds the row.
CREATE TABLE portcall_alerts (
  destination   text NOT NULL,
  rule          text NOT NULL,
  subject       text NOT NULL,
  alert_id      text NOT NULL UNIQUE,            -- sent as the idempotency key (webhook-id)
  event_id      text,                            -- the event it is about, when there is one
  title         text NOT NULL,
  message       text NOT NULL,                   -- the rendered AlertMessage, JSON
  status        text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent')),
  attempts      integer NOT NULL DEFAULT 0,
  last_error    text,
  created_at    timestamptz NOT NULL DEFAULT now(),
  sent_at       timestamptz,
  PRIMARY KEY (destination, rule, subject)
);

CREATE INDEX portcall_alerts_created_at ON portcall_alerts (created_at);
CREATE INDEX portcall_alerts_event ON portcall_alerts (event_id);

-- Each shipment's estimated arrival as every event stated it, so an ETA slip compares with
-- the previous estimate without re-reading every payload of the shipment.
CREATE TABLE portcall_shipment_etas (
  event_id      text PRIMARY KEY,
  shipment_id   text NOT NULL,
  event_at      timestamptz NOT NULL,            -- occurred_at, else created_at
  eta           text NOT NULL
);

CREATE INDEX portcall_shipment_etas_shipment ON portcall_shipment_etas (shipment_id, event_at);

-- Destinations drain in commit order: they claim by seq (insertion order), not by due time.
ALTER TABLE portcall_outbox ADD COLUMN seq bigserial;
CREATE INDEX portcall_outbox_ordered ON portcall_outbox (sink, seq) WHERE dead_at IS NULL;

-- Leases for work one receiver of several should do (scheduled reconcile, digests).
CREATE TABLE portcall_leases (
  name          text PRIMARY KEY,
  holder        text NOT NULL,
  expires_at    timestamptz NOT NULL,
  state         text                             -- what the holder needs to resume, JSON
);
