-- Parcel.TrackingUpdated of the Logistics API, one row per scan (docs/logistics-api.md).
-- Placeholders as in flexport_milestones.sql; src/sinks/bigquery-views.ts substitutes them.
-- Needs the source_name and api columns (sql/bigquery/flexport_events.sql); portcall migrate
-- skips it, naming them, on a table made before sources. Same rows as the SQLite view.
CREATE OR REPLACE VIEW `PROJECT.DATASET.logistics_parcel_tracking` AS
WITH events AS (
  SELECT * FROM `PROJECT.DATASET.flexport_events_dedup`
  WHERE api = 'logistics' AND type = 'Parcel.TrackingUpdated'
)
SELECT
  e.id AS event_id,
  e.source_name,
  e.occurred_at,
  JSON_VALUE(e.payload, '$.trackingCode') AS tracking_code,
  JSON_VALUE(e.payload, '$.status') AS status,
  JSON_VALUE(e.payload, '$.message') AS message,
  JSON_VALUE(e.payload, '$.eventTime') AS event_time,
  JSON_VALUE(e.payload, '$.location.city') AS city,
  JSON_VALUE(e.payload, '$.location.state') AS state,
  JSON_VALUE(e.payload, '$.location.country') AS country,
  JSON_VALUE(e.payload, '$.location.zip') AS zip
FROM events AS e;
