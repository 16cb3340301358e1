-- A sink may ask for only some events (an alert destination whose rules all name event
-- types, none of them about history): the trigger then queues nothing else for it, so
-- events no rule can match cost neither an outbox row nor its claim and delete.
-- event_types: types, each exact or a prefix ending in * (NULL: every type);
-- webhook_only: events that arrived by backfill or replay are not queued.
ALTER TABLE portcall_sinks
  ADD COLUMN event_types text[],
  ADD COLUMN webhook_only boolean NOT NULL DEFAULT false;

CREATE OR REPLACE FUNCTION portcall_enqueue_exports() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM portcall_sinks WHERE enabled) THEN
    INSERT INTO portcall_outbox (sink, event_id)
    SELECT s.name, n.id FROM new_events n CROSS JOIN portcall_sinks s
    WHERE s.enabled
      AND (NOT s.webhook_only OR n.source = 'webhook')
      AND (s.event_types IS NULL OR EXISTS (
        SELECT 1 FROM unnest(s.event_types) AS p(pattern)
        WHERE CASE WHEN right(p.pattern, 1) = '*'
                   THEN left(n.type, length(p.pattern) - 1) = left(p.pattern, length(p.pattern) - 1)
                   ELSE n.type = p.pattern END))
    ON CONFLICT DO NOTHING;
  END IF;
  RETURN NULL;
END;
$$;
