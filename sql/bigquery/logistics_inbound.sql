-- Inbound.Received and Inbound.ShipmentStatusChanged of the Logistics API, one row per event.
-- Placeholders as in flexport_milestones.sql; src/sinks/bigquery-views.ts substitutes them.
-- Needs the source_name and api columns (sql/bigquery/flexport_events.sql); portcall migrate
-- skips it, naming them, on a table made before sources. Same rows as the SQLite view.
CREATE OR REPLACE VIEW `PROJECT.DATASET.logistics_inbound` AS
WITH events AS (
  SELECT * FROM `PROJECT.DATASET.flexport_events_dedup`
  WHERE api = 'logistics' AND type IN ('Inbound.Received', 'Inbound.ShipmentStatusChanged')
)
SELECT
  e.id AS event_id,
  e.source_name,
  e.type,
  e.occurred_at,
  JSON_VALUE(e.payload, '$.inboundShipmentId') AS inbound_shipment_id,
  JSON_VALUE(e.payload, '$.purchaseOrderNumber') AS purchase_order,
  IF(e.type = 'Inbound.Received', 'RECEIVED', JSON_VALUE(e.payload, '$.status')) AS status,
  JSON_VALUE(e.payload, '$.previousStatus') AS previous_status,
  JSON_VALUE(e.payload, '$.warehouseId') AS warehouse_id,
  (
    SELECT STRING_AGG(JSON_VALUE(i, '$.sku'), ',' ORDER BY position)
    FROM UNNEST(JSON_QUERY_ARRAY(e.payload, '$.items')) AS i WITH OFFSET AS position
  ) AS skus,
  (
    SELECT SUM(SAFE_CAST(JSON_VALUE(i, '$.receivedQuantity') AS INT64))
    FROM UNNEST(JSON_QUERY_ARRAY(e.payload, '$.items')) AS i
  ) AS received_quantity
FROM events AS e;
