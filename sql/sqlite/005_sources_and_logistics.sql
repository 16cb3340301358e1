-- Sources (docs/sources.md): every event and reject records the configured source it
-- arrived through, and the API it belongs to. Rows from before this migration came through
-- /webhooks/flexport, the default freight source, which the defaults say.
ALTER TABLE flexport_events ADD COLUMN source_name TEXT NOT NULL DEFAULT 'default';
ALTER TABLE flexport_events ADD COLUMN api TEXT NOT NULL DEFAULT 'freight' CHECK (api IN ('freight', 'logistics'));
ALTER TABLE flexport_rejects ADD COLUMN source_name TEXT NOT NULL DEFAULT 'default';

CREATE INDEX flexport_events_source_received_at ON flexport_events (source_name, received_at);
CREATE INDEX flexport_events_api_type ON flexport_events (api, type, occurred_at);

-- Logistics API views (docs/logistics-api.md). The same views exist for PostgreSQL
-- (sql/postgres/005_sources_and_logistics.sql) and BigQuery (sql/bigquery/logistics_*.sql).
CREATE VIEW logistics_events AS
SELECT
  id AS event_id,
  source_name,
  type,
  occurred_at,
  received_at,
  CASE WHEN json_valid(payload) THEN payload END AS doc
FROM flexport_events
WHERE api = 'logistics';

-- Order.Shipped and Order.Cancelled, one row per event.
CREATE VIEW logistics_orders AS
SELECT
  e.event_id,
  e.source_name,
  e.type,
  CASE e.type WHEN 'Order.Shipped' THEN 'shipped' ELSE 'cancelled' END AS status,
  e.occurred_at,
  e.doc ->> '$.logisticsAccountId' AS account_id,
  CAST(e.doc ->> '$.orderId' AS TEXT) AS order_id,
  e.doc ->> '$.externalOrderId' AS external_order_id,
  e.doc ->> '$.shippedAt' AS shipped_at,
  e.doc ->> '$.reason' AS reason,
  (SELECT group_concat(i.value ->> '$.sku', ',') FROM json_each(e.doc, '$.items') AS i) AS skus,
  (SELECT group_concat(p.value ->> '$.trackingCode', ',') FROM json_each(e.doc, '$.packages') AS p)
    AS tracking_codes
FROM logistics_events AS e
WHERE e.type IN ('Order.Shipped', 'Order.Cancelled');

-- Parcel.TrackingUpdated, one row per scan.
CREATE VIEW logistics_parcel_tracking AS
SELECT
  e.event_id,
  e.source_name,
  e.occurred_at,
  e.doc ->> '$.trackingCode' AS tracking_code,
  e.doc ->> '$.status' AS status,
  e.doc ->> '$.message' AS message,
  e.doc ->> '$.eventTime' AS event_time,
  e.doc ->> '$.location.city' AS city,
  e.doc ->> '$.location.state' AS state,
  e.doc ->> '$.location.country' AS country,
  e.doc ->> '$.location.zip' AS zip
FROM logistics_events AS e
WHERE e.type = 'Parcel.TrackingUpdated';

-- Inbound.Received and Inbound.ShipmentStatusChanged, one row per event.
CREATE VIEW logistics_inbound AS
SELECT
  e.event_id,
  e.source_name,
  e.type,
  e.occurred_at,
  CAST(e.doc ->> '$.inboundShipmentId' AS TEXT) AS inbound_shipment_id,
  e.doc ->> '$.purchaseOrderNumber' AS purchase_order,
  CASE e.type WHEN 'Inbound.Received' THEN 'RECEIVED' ELSE e.doc ->> '$.status' END AS status,
  e.doc ->> '$.previousStatus' AS previous_status,
  e.doc ->> '$.warehouseId' AS warehouse_id,
  (SELECT group_concat(i.value ->> '$.sku', ',') FROM json_each(e.doc, '$.items') AS i) AS skus,
  (SELECT SUM(i.value ->> '$.receivedQuantity') FROM json_each(e.doc, '$.items') AS i) AS received_quantity
FROM logistics_events AS e
WHERE e.type IN ('Inbound.Received', 'Inbound.ShipmentStatusChanged');

-- Inventory.Adjusted, one row per adjustment.
CREATE VIEW logistics_inventory_adjustments AS
SELECT
  e.event_id,
  e.source_name,
  e.occurred_at,
  e.doc ->> '$.sku' AS sku,
  e.doc ->> '$.warehouseId' AS warehouse_id,
  e.doc ->> '$.quantity' AS quantity,
  e.doc ->> '$.reason' AS reason
FROM logistics_events AS e
WHERE e.type = 'Inventory.Adjusted';

-- Every purchase order and SKU a freight shipment names (metadata.purchase_order,
-- metadata.sku, items[].product.sku of the shipment in any of its events), once per shipment.
CREATE VIEW flexport_shipment_keys AS
WITH shipments AS (
  SELECT
    COALESCE(
      payload ->> '$.data.shipment.id',
      CASE WHEN payload ->> '$.data.resource._object' = '/shipment' THEN payload ->> '$.data.resource.id' END
    ) AS shipment_id,
    COALESCE(
      payload -> '$.data.shipment',
      CASE WHEN payload ->> '$.data.resource._object' = '/shipment' THEN payload -> '$.data.resource' END
    ) AS shipment
  FROM flexport_events
  WHERE api = 'freight' AND json_valid(payload)
)
SELECT DISTINCT CAST(s.shipment_id AS TEXT) AS shipment_id, k.key_kind, k.key
FROM shipments AS s
JOIN (
  SELECT s2.shipment_id, 'purchase_order' AS key_kind, po.value AS key
  FROM shipments AS s2, json_each(s2.shipment, '$.metadata.purchase_order') AS po
  UNION ALL
  SELECT s2.shipment_id, 'sku', sku.value
  FROM shipments AS s2, json_each(s2.shipment, '$.metadata.sku') AS sku
  UNION ALL
  SELECT s2.shipment_id, 'sku', item.value ->> '$.product.sku'
  FROM shipments AS s2, json_each(s2.shipment, '$.items') AS item
) AS k ON k.shipment_id = s.shipment_id
WHERE s.shipment_id IS NOT NULL AND k.key IS NOT NULL AND typeof(k.key) = 'text';

-- Every purchase order and SKU a Logistics API event names, with the quantity of that SKU.
CREATE VIEW logistics_event_keys AS
SELECT e.event_id, 'purchase_order' AS key_kind, e.doc ->> '$.purchaseOrderNumber' AS key, NULL AS quantity
FROM logistics_events AS e
WHERE e.doc ->> '$.purchaseOrderNumber' IS NOT NULL
UNION ALL
SELECT e.event_id, 'sku', e.doc ->> '$.sku', e.doc ->> '$.quantity'
FROM logistics_events AS e
WHERE e.doc ->> '$.sku' IS NOT NULL
UNION ALL
SELECT e.event_id, 'sku', i.value ->> '$.sku', COALESCE(i.value ->> '$.receivedQuantity', i.value ->> '$.quantity')
FROM logistics_events AS e, json_each(e.doc, '$.items') AS i
WHERE i.value ->> '$.sku' IS NOT NULL
UNION ALL
SELECT e.event_id, 'sku', i.value ->> '$.sku', i.value ->> '$.quantity'
FROM logistics_events AS e, json_each(e.doc, '$.returnItems') AS i
WHERE i.value ->> '$.sku' IS NOT NULL;

-- From container discharge to inventory received to order shipped: per purchase order or
-- SKU that a freight shipment names, that shipment's milestones and every Logistics API
-- event naming the same PO or SKU, in time order.
CREATE VIEW supply_chain_timeline AS
SELECT
  k.key_kind,
  k.key,
  COALESCE(m.occurred_at, m.created_at) AS event_at,
  'freight' AS api,
  e.source_name,
  m.event_id,
  m.type,
  m.label,
  k.shipment_id,
  NULL AS quantity
FROM flexport_shipment_keys AS k
JOIN flexport_milestones AS m ON m.shipment_id = k.shipment_id
JOIN flexport_events AS e ON e.id = m.event_id
UNION ALL
SELECT
  lk.key_kind,
  lk.key,
  COALESCE(l.occurred_at, l.received_at) AS event_at,
  'logistics' AS api,
  l.source_name,
  l.event_id,
  l.type,
  l.type AS label,
  NULL AS shipment_id,
  lk.quantity
FROM logistics_event_keys AS lk
JOIN logistics_events AS l ON l.event_id = lk.event_id
WHERE EXISTS (
  SELECT 1 FROM flexport_shipment_keys AS k WHERE k.key_kind = lk.key_kind AND k.key = lk.key
);
