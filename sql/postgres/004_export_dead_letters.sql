-- Dead letters: an outbox row a sink rejected as invalid on each of its allowed attempts
-- stops being retried. It stays in portcall_outbox with dead_at set, is shown by
-- `portcall status` and the portcall_export_dead_letters metric, and goes back to the
-- queue with `portcall export retry --dead`. Generic over sinks: the exporter decides,
-- per sink, when a row is dead; this only records it.
ALTER TABLE portcall_outbox ADD COLUMN dead_at timestamptz;  -- NULL while pending

-- Claims look only at pending rows; dead ones stay out of the index claims walk.
DROP INDEX portcall_outbox_due;
CREATE INDEX portcall_outbox_due ON portcall_outbox (sink, next_attempt_at) WHERE dead_at IS NULL;
CREATE INDEX portcall_outbox_dead ON portcall_outbox (sink, dead_at) WHERE dead_at IS NOT NULL;
