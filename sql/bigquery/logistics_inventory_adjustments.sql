-- Inventory.Adjusted of the Logistics API, one row per adjustment.
-- Placeholders as in flexport_milestones.sql; src/sinks/bigquery-views.ts substitutes them.
-- Needs the source_name and api columns (sql/bigquery/flexport_events.sql); portcall migrate
-- skips it, naming them, on a table made before sources. Same rows as the SQLite view.
CREATE OR REPLACE VIEW `PROJECT.DATASET.logistics_inventory_adjustments` AS
WITH events AS (
  SELECT * FROM `PROJECT.DATASET.flexport_events_dedup`
  WHERE api = 'logistics' AND type = 'Inventory.Adjusted'
)
SELECT
  e.id AS event_id,
  e.source_name,
  e.occurred_at,
  JSON_VALUE(e.payload, '$.sku') AS sku,
  JSON_VALUE(e.payload, '$.warehouseId') AS warehouse_id,
  SAFE_CAST(JSON_VALUE(e.payload, '$.quantity') AS INT64) AS quantity,
  JSON_VALUE(e.payload, '$.reason') AS reason
FROM events AS e;
