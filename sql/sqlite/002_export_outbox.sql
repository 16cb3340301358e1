-- Copies of committed events to other places (an archive, BigQuery), made in the background.
-- The webhook path only commits the event; a trigger in the same transaction queues one
-- outbox row per enabled sink, so an event is exported if and only if it was committed.

-- The sinks an exporter has been configured with. No row, or no enabled row, means the
-- trigger below queues nothing and the receive path pays nothing for exports.
CREATE TABLE portcall_sinks (
  name             TEXT PRIMARY KEY,              -- e.g. archive, bigquery
  enabled          INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
  target           TEXT,                          -- where it writes, for people (no credentials)
  enabled_at       TEXT NOT NULL,
  last_success_at  TEXT,
  last_error       TEXT,
  last_error_at    TEXT
);

-- One row per (sink, event) still to deliver; deleted once delivered.
CREATE TABLE portcall_outbox (
  sink             TEXT NOT NULL,
  event_id         TEXT NOT NULL,
  attempts         INTEGER NOT NULL DEFAULT 0,    -- failed deliveries so far
  next_attempt_at  TEXT NOT NULL,                 -- ISO-8601 UTC; also the claim lease
  last_error       TEXT,
  enqueued_at      TEXT NOT NULL,
  PRIMARY KEY (sink, event_id)
);

CREATE INDEX portcall_outbox_due ON portcall_outbox (sink, next_attempt_at);

-- Fires only for rows actually inserted: a redelivery (the upsert's update) queues nothing.
CREATE TRIGGER portcall_outbox_enqueue AFTER INSERT ON flexport_events
BEGIN
  INSERT OR IGNORE INTO portcall_outbox (sink, event_id, next_attempt_at, enqueued_at)
  SELECT name, NEW.id, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
  FROM portcall_sinks
  WHERE enabled = 1;
END;
