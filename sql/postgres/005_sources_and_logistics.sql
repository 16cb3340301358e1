-- Sources (docs/sources.md): every event and reject records the configured source it
-- arrived through, and the API it belongs to. Rows from before this migration came through
-- /webhooks/flexport, the default freight source, which the defaults say. Adding a column
-- with a constant default rewrites no rows (PostgreSQL 11+), so this is quick on a big table.
ALTER TABLE flexport_events ADD COLUMN source_name text NOT NULL DEFAULT 'default';
ALTER TABLE flexport_events ADD COLUMN api text NOT NULL DEFAULT 'freight' CHECK (api IN ('freight', 'logistics'));
ALTER TABLE flexport_rejects ADD COLUMN source_name text NOT NULL DEFAULT 'default';

CREATE INDEX flexport_events_source_received_at ON flexport_events (source_name, received_at);
CREATE INDEX flexport_events_api_type ON flexport_events (api, type, occurred_at);

-- Logistics API views (docs/logistics-api.md); the same rows as the SQLite views of the
-- same names (sql/sqlite/005_sources_and_logistics.sql) and the BigQuery ones.
CREATE VIEW logistics_events AS
SELECT id AS event_id, source_name, type, occurred_at, received_at, payload_json AS doc
FROM flexport_events
WHERE api = 'logistics';

CREATE VIEW logistics_orders AS
SELECT
  e.event_id,
  e.source_name,
  e.type,
  CASE e.type WHEN 'Order.Shipped' THEN 'shipped' ELSE 'cancelled' END AS status,
  e.occurred_at,
  e.doc ->> 'logisticsAccountId' AS account_id,
  e.doc ->> 'orderId' AS order_id,
  e.doc ->> 'externalOrderId' AS external_order_id,
  e.doc ->> 'shippedAt' AS shipped_at,
  e.doc ->> 'reason' AS reason,
  (SELECT string_agg(i.value ->> 'sku', ',' ORDER BY i.ordinality)
   FROM jsonb_array_elements(CASE WHEN jsonb_typeof(e.doc -> 'items') = 'array' THEN e.doc -> 'items' END)
     WITH ORDINALITY AS i(value, ordinality)) AS skus,
  (SELECT string_agg(p.value ->> 'trackingCode', ',' ORDER BY p.ordinality)
   FROM jsonb_array_elements(CASE WHEN jsonb_typeof(e.doc -> 'packages') = 'array' THEN e.doc -> 'packages' END)
     WITH ORDINALITY AS p(value, ordinality)) AS tracking_codes
FROM logistics_events AS e
WHERE e.type IN ('Order.Shipped', 'Order.Cancelled');

CREATE VIEW logistics_parcel_tracking AS
SELECT
  e.event_id,
  e.source_name,
  e.occurred_at,
  e.doc ->> 'trackingCode' AS tracking_code,
  e.doc ->> 'status' AS status,
  e.doc ->> 'message' AS message,
  e.doc ->> 'eventTime' AS event_time,
  e.doc #>> '{location,city}' AS city,
  e.doc #>> '{location,state}' AS state,
  e.doc #>> '{location,country}' AS country,
  e.doc #>> '{location,zip}' AS zip
FROM logistics_events AS e
WHERE e.type = 'Parcel.TrackingUpdated';

CREATE VIEW logistics_inbound AS
SELECT
  e.event_id,
  e.source_name,
  e.type,
  e.occurred_at,
  e.doc ->> 'inboundShipmentId' AS inbound_shipment_id,
  e.doc ->> 'purchaseOrderNumber' AS purchase_order,
  CASE e.type WHEN 'Inbound.Received' THEN 'RECEIVED' ELSE e.doc ->> 'status' END AS status,
  e.doc ->> 'previousStatus' AS previous_status,
  e.doc ->> 'warehouseId' AS warehouse_id,
  (SELECT string_agg(i.value ->> 'sku', ',' ORDER BY i.ordinality)
   FROM jsonb_array_elements(CASE WHEN jsonb_typeof(e.doc -> 'items') = 'array' THEN e.doc -> 'items' END)
     WITH ORDINALITY AS i(value, ordinality)) AS skus,
  (SELECT SUM((i.value ->> 'receivedQuantity')::numeric)
   FROM jsonb_array_elements(CASE WHEN jsonb_typeof(e.doc -> 'items') = 'array' THEN e.doc -> 'items' END)
     AS i(value)) AS received_quantity
FROM logistics_events AS e
WHERE e.type IN ('Inbound.Received', 'Inbound.ShipmentStatusChanged');

CREATE VIEW logistics_inventory_adjustments AS
SELECT
  e.event_id,
  e.source_name,
  e.occurred_at,
  e.doc ->> 'sku' AS sku,
  e.doc ->> 'warehouseId' AS warehouse_id,
  (e.doc ->> 'quantity')::numeric AS quantity,
  e.doc ->> 'reason' AS reason
FROM logistics_events AS e
WHERE e.type = 'Inventory.Adjusted';

CREATE VIEW flexport_shipment_keys AS
WITH shipments AS (
  SELECT
    COALESCE(
      payload_json #>> '{data,shipment,id}',
      CASE WHEN payload_json #>> '{data,resource,_object}' = '/shipment' THEN payload_json #>> '{data,resource,id}' END
    ) AS shipment_id,
    COALESCE(
      payload_json #> '{data,shipment}',
      CASE WHEN payload_json #>> '{data,resource,_object}' = '/shipment' THEN payload_json #> '{data,resource}' END
    ) AS shipment
  FROM flexport_events
  WHERE api = 'freight'
),
arrays AS (
  SELECT shipment_id, 'purchase_order' AS key_kind, shipment #> '{metadata,purchase_order}' AS list, false AS items
  FROM shipments
  UNION ALL
  SELECT shipment_id, 'sku', shipment #> '{metadata,sku}', false FROM shipments
  UNION ALL
  SELECT shipment_id, 'sku', shipment -> 'items', true FROM shipments
)
SELECT DISTINCT a.shipment_id, a.key_kind, CASE WHEN a.items THEN v.value #>> '{product,sku}' ELSE v.value #>> '{}' END AS key
FROM arrays AS a,
  jsonb_array_elements(CASE WHEN jsonb_typeof(a.list) = 'array' THEN a.list END) AS v(value)
WHERE a.shipment_id IS NOT NULL
  AND (CASE WHEN a.items THEN jsonb_typeof(v.value #> '{product,sku}') ELSE jsonb_typeof(v.value) END) = 'string';

CREATE VIEW logistics_event_keys AS
SELECT e.event_id, 'purchase_order' AS key_kind, e.doc ->> 'purchaseOrderNumber' AS key, NULL::numeric AS quantity
FROM logistics_events AS e
WHERE e.doc ->> 'purchaseOrderNumber' IS NOT NULL
UNION ALL
SELECT e.event_id, 'sku', e.doc ->> 'sku', (e.doc ->> 'quantity')::numeric
FROM logistics_events AS e
WHERE e.doc ->> 'sku' IS NOT NULL
UNION ALL
SELECT e.event_id, 'sku', i.value ->> 'sku', COALESCE(i.value ->> 'receivedQuantity', i.value ->> 'quantity')::numeric
FROM logistics_events AS e,
  jsonb_array_elements(CASE WHEN jsonb_typeof(e.doc -> 'items') = 'array' THEN e.doc -> 'items' END) AS i(value)
WHERE i.value ->> 'sku' IS NOT NULL
UNION ALL
SELECT e.event_id, 'sku', i.value ->> 'sku', (i.value ->> 'quantity')::numeric
FROM logistics_events AS e,
  jsonb_array_elements(CASE WHEN jsonb_typeof(e.doc -> 'returnItems') = 'array' THEN e.doc -> 'returnItems' END) AS i(value)
WHERE i.value ->> 'sku' IS NOT NULL;

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
  NULL::numeric AS quantity
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
