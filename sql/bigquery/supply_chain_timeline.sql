-- From container discharge to inventory received to order shipped: per purchase order or
-- SKU that a freight shipment names (metadata.purchase_order, metadata.sku,
-- items[].product.sku), that shipment's milestones and every Logistics API event naming the
-- same PO or SKU. Reads flexport_milestones, so it is created after it.
-- Placeholders as in flexport_milestones.sql; src/sinks/bigquery-views.ts substitutes them.
-- Needs the source_name and api columns (sql/bigquery/flexport_events.sql); portcall migrate
-- skips it, naming them, on a table made before sources. Same rows as the SQLite view.
CREATE OR REPLACE VIEW `PROJECT.DATASET.supply_chain_timeline` AS
WITH freight AS (
  SELECT
    id,
    source_name,
    COALESCE(
      JSON_VALUE(payload, '$.data.shipment.id'),
      IF(JSON_VALUE(payload, '$.data.resource._object') = '/shipment', JSON_VALUE(payload, '$.data.resource.id'), NULL)
    ) AS shipment_id,
    COALESCE(
      JSON_QUERY(payload, '$.data.shipment'),
      IF(JSON_VALUE(payload, '$.data.resource._object') = '/shipment', JSON_QUERY(payload, '$.data.resource'), NULL)
    ) AS shipment
  FROM `PROJECT.DATASET.flexport_events_dedup`
  WHERE COALESCE(api, 'freight') = 'freight'
),
shipment_keys AS (
  SELECT DISTINCT shipment_id, key_kind, key
  FROM (
    SELECT f.shipment_id, 'purchase_order' AS key_kind, JSON_VALUE(po) AS key
    FROM freight AS f, UNNEST(JSON_QUERY_ARRAY(f.shipment, '$.metadata.purchase_order')) AS po
    UNION ALL
    SELECT f.shipment_id, 'sku', JSON_VALUE(sku)
    FROM freight AS f, UNNEST(JSON_QUERY_ARRAY(f.shipment, '$.metadata.sku')) AS sku
    UNION ALL
    SELECT f.shipment_id, 'sku', JSON_VALUE(item, '$.product.sku')
    FROM freight AS f, UNNEST(JSON_QUERY_ARRAY(f.shipment, '$.items')) AS item
  )
  WHERE shipment_id IS NOT NULL AND key IS NOT NULL
),
logistics AS (
  SELECT * FROM `PROJECT.DATASET.flexport_events_dedup` WHERE api = 'logistics'
),
logistics_keys AS (
  SELECT l.id, 'purchase_order' AS key_kind, JSON_VALUE(l.payload, '$.purchaseOrderNumber') AS key,
    CAST(NULL AS INT64) AS quantity
  FROM logistics AS l
  WHERE JSON_VALUE(l.payload, '$.purchaseOrderNumber') IS NOT NULL
  UNION ALL
  SELECT l.id, 'sku', JSON_VALUE(l.payload, '$.sku'), SAFE_CAST(JSON_VALUE(l.payload, '$.quantity') AS INT64)
  FROM logistics AS l
  WHERE JSON_VALUE(l.payload, '$.sku') IS NOT NULL
  UNION ALL
  SELECT l.id, 'sku', JSON_VALUE(i, '$.sku'),
    SAFE_CAST(COALESCE(JSON_VALUE(i, '$.receivedQuantity'), JSON_VALUE(i, '$.quantity')) AS INT64)
  FROM logistics AS l, UNNEST(JSON_QUERY_ARRAY(l.payload, '$.items')) AS i
  WHERE JSON_VALUE(i, '$.sku') IS NOT NULL
  UNION ALL
  SELECT l.id, 'sku', JSON_VALUE(i, '$.sku'), SAFE_CAST(JSON_VALUE(i, '$.quantity') AS INT64)
  FROM logistics AS l, UNNEST(JSON_QUERY_ARRAY(l.payload, '$.returnItems')) AS i
  WHERE JSON_VALUE(i, '$.sku') IS NOT NULL
)
SELECT
  k.key_kind,
  k.key,
  COALESCE(m.occurred_at, m.created_at) AS event_at,
  'freight' AS api,
  f.source_name,
  m.event_id,
  m.type,
  m.label,
  k.shipment_id,
  CAST(NULL AS INT64) AS quantity
FROM shipment_keys AS k
JOIN `PROJECT.DATASET.flexport_milestones` AS m ON m.shipment_id = k.shipment_id
JOIN freight AS f ON f.id = m.event_id
UNION ALL
SELECT
  lk.key_kind,
  lk.key,
  COALESCE(l.occurred_at, l.ts) AS event_at,
  'logistics' AS api,
  l.source_name,
  l.id AS event_id,
  l.type,
  l.type AS label,
  CAST(NULL AS STRING) AS shipment_id,
  lk.quantity
FROM logistics_keys AS lk
JOIN logistics AS l ON l.id = lk.id
WHERE EXISTS (
  SELECT 1 FROM shipment_keys AS k WHERE k.key_kind = lk.key_kind AND k.key = lk.key
);
