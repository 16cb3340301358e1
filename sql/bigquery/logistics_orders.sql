-- Order.Shipped and Order.Cancelled of the Logistics API, one row per event (docs/logistics-api.md).
-- Placeholders as in flexport_milestones.sql; src/sinks/bigquery-views.ts substitutes them.
-- Needs the source_name and api columns (sql/bigquery/flexport_events.sql); portcall migrate
-- skips it, naming them, on a table made before sources. Same rows as the SQLite view.
CREATE OR REPLACE VIEW `PROJECT.DATASET.logistics_orders` AS
WITH events AS (
  SELECT * FROM `PROJECT.DATASET.flexport_events_dedup`
  WHERE api = 'logistics' AND type IN ('Order.Shipped', 'Order.Cancelled')
)
SELECT
  e.id AS event_id,
  e.source_name,
  e.type,
  IF(e.type = 'Order.Shipped', 'shipped', 'cancelled') AS status,
  e.occurred_at,
  JSON_VALUE(e.payload, '$.logisticsAccountId') AS account_id,
  JSON_VALUE(e.payload, '$.orderId') AS order_id,
  JSON_VALUE(e.payload, '$.externalOrderId') AS external_order_id,
  JSON_VALUE(e.payload, '$.shippedAt') AS shipped_at,
  JSON_VALUE(e.payload, '$.reason') AS reason,
  (
    SELECT STRING_AGG(JSON_VALUE(i, '$.sku'), ',' ORDER BY position)
    FROM UNNEST(JSON_QUERY_ARRAY(e.payload, '$.items')) AS i WITH OFFSET AS position
  ) AS skus,
  (
    SELECT STRING_AGG(JSON_VALUE(p, '$.trackingCode'), ',' ORDER BY position)
    FROM UNNEST(JSON_QUERY_ARRAY(e.payload, '$.packages')) AS p WITH OFFSET AS position
  ) AS tracking_codes
FROM events AS e;
