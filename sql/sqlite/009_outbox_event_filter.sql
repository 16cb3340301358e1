-- (Number 008 is PostgreSQL only: lz4-compressed payloads.)
-- A sink may ask for only some events (an alert destination whose rules all name event
-- types, none of them about history): the trigger then queues nothing else for it, so
-- events no rule can match cost neither an outbox row nor its claim and delete.
-- event_types: JSON array of types, each exact or a prefix ending in * (NULL: every type);
-- webhook_only: events that arrived by backfill or replay are not queued.
ALTER TABLE portcall_sinks ADD COLUMN event_types TEXT;
ALTER TABLE portcall_sinks ADD COLUMN webhook_only INTEGER NOT NULL DEFAULT 0 CHECK (webhook_only IN (0, 1));

DROP TRIGGER portcall_outbox_enqueue;
CREATE TRIGGER portcall_outbox_enqueue AFTER INSERT ON flexport_events
BEGIN
  INSERT OR IGNORE INTO portcall_outbox (sink, event_id, next_attempt_at, enqueued_at)
  SELECT name, NEW.id, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
  FROM portcall_sinks
  WHERE enabled = 1
    AND (webhook_only = 0 OR NEW.source = 'webhook')
    AND (event_types IS NULL OR EXISTS (
      SELECT 1 FROM json_each(event_types) t
      WHERE CASE WHEN substr(t.value, -1) = '*'
                 THEN substr(NEW.type, 1, length(t.value) - 1) = substr(t.value, 1, length(t.value) - 1)
                 ELSE NEW.type = t.value END));
END;
