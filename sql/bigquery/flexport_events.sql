-- The BigQuery table portcall writes to (BIGQUERY_TABLE=project.dataset.table).
-- `portcall migrate` creates the same table through the API when it is missing; run this
-- yourself instead if you prefer, replacing PROJECT.DATASET.flexport_events.
-- payload is JSON by default; BIGQUERY_PAYLOAD_TYPE=STRING makes it STRING, which keeps
-- the exact bytes (BigQuery normalises JSON values).
-- Tables made with the original 3-column schema (id STRING, ts DATETIME, payload STRING)
-- keep working: portcall reads the table's schema and inserts only the columns it has.
-- A table made before sources lacks source_name and api; add them to start recording them:
--   ALTER TABLE `PROJECT.DATASET.flexport_events` ADD COLUMN source_name STRING, ADD COLUMN api STRING;
CREATE TABLE IF NOT EXISTS `PROJECT.DATASET.flexport_events` (
  id          STRING NOT NULL,   -- Flexport's event id, exact decimal text
  ts          TIMESTAMP NOT NULL, -- when portcall first received it
  type        STRING,            -- e.g. /shipment_leg#departed
  occurred_at TIMESTAMP,         -- when the milestone happened
  created_at  TIMESTAMP,         -- when Flexport recorded it
  payload     JSON,              -- the event body
  source_name STRING,            -- the configured source (docs/sources.md); default for /webhooks/flexport
  api         STRING             -- freight or logistics
)
PARTITION BY DATE(ts)
CLUSTER BY type;
