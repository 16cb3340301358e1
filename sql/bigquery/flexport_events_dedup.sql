-- One row per stored event. Streaming inserts carry insertId = event id, but BigQuery's
-- insert de-duplication is best-effort, so queries should read this view.
-- `portcall migrate` creates it as <table>_dedup (and replaces it when this SQL changes);
-- replace PROJECT.DATASET.flexport_events to run it yourself.
--
-- The window is over (id, ts), not id alone: ts is when the event was first received, as
-- the database the exporter reads from recorded it, so every copy a retried export writes
-- has the same id and ts. A filter on ts therefore gives the same rows whether it is applied
-- before or after the window, which lets a date-bounded query read only the partitions it
-- names (a window over id alone needs every partition to know which copy came first).
-- Copies with different ts (function mode, where a redelivery after a lost answer is
-- received again) stay two rows; see docs/views.md.
CREATE OR REPLACE VIEW `PROJECT.DATASET.flexport_events_dedup` AS
SELECT *
FROM `PROJECT.DATASET.flexport_events`
WHERE TRUE
QUALIFY ROW_NUMBER() OVER (PARTITION BY id, ts) = 1;
