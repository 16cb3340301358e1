-- Copies of committed events to other places (an archive, BigQuery), made in the background.
-- The webhook path only commits the event; a trigger in the same transaction queues one
-- outbox row per enabled sink, so an event is exported if and only if it was committed.

-- The sinks an exporter has been configured with. No enabled row means the trigger below
-- queues nothing and the receive path pays one empty lookup per statement.
CREATE TABLE portcall_sinks (
  name             text PRIMARY KEY,              -- e.g. archive, bigquery
  enabled          boolean NOT NULL DEFAULT true,
  target           text,                          -- where it writes, for people (no credentials)
  enabled_at       timestamptz NOT NULL DEFAULT now(),
  last_success_at  timestamptz,
  last_error       text,
  last_error_at    timestamptz
);

-- One row per (sink, event) still to deliver; deleted once delivered.
CREATE TABLE portcall_outbox (
  sink             text NOT NULL,
  event_id         text NOT NULL,
  attempts         integer NOT NULL DEFAULT 0,    -- failed deliveries so far
  next_attempt_at  timestamptz NOT NULL DEFAULT now(), -- also the claim lease
  last_error       text,
  enqueued_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (sink, event_id)
);

CREATE INDEX portcall_outbox_due ON portcall_outbox (sink, next_attempt_at);

-- Statement-level, over the rows actually inserted (ON CONFLICT updates are not in
-- new_events), so a group commit of many events queues them in one statement.
CREATE FUNCTION portcall_enqueue_exports() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM portcall_sinks WHERE enabled) THEN
    INSERT INTO portcall_outbox (sink, event_id)
    SELECT s.name, n.id FROM new_events n CROSS JOIN portcall_sinks s WHERE s.enabled
    ON CONFLICT DO NOTHING;
  END IF;
  RETURN NULL;
END;
$$;

CREATE TRIGGER portcall_outbox_enqueue AFTER INSERT ON flexport_events
REFERENCING NEW TABLE AS new_events
FOR EACH STATEMENT EXECUTE FUNCTION portcall_enqueue_exports();
