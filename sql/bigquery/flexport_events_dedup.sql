-- One row per event id. Streaming inserts carry insertId = event id, but BigQuery's
-- insert de-duplication is best-effort, so queries should read this view.
-- `portcall migrate` creates it as <table>_dedup; replace PROJECT.DATASET.flexport_events
-- to run it yourself.
CREATE VIEW IF NOT EXISTS `PROJECT.DATASET.flexport_events_dedup` AS
SELECT *
FROM `PROJECT.DATASET.flexport_events`
WHERE TRUE
QUALIFY ROW_NUMBER() OVER (PARTITION BY id ORDER BY ts) = 1;
