-- One row per shipment, the same columns and values as flexport_shipment_status in SQLite
-- and PostgreSQL (docs/views.md). Reads the flexport_milestones view of the same dataset.
-- Placeholder: `PROJECT.DATASET.` stands for the dataset; src/reports/bigquery-views.ts
-- substitutes it. An event's time is occurred_at, or created_at when Flexport sent none;
-- "latest" orders by that time, then by event id.
CREATE OR REPLACE VIEW `PROJECT.DATASET.flexport_shipment_status` AS
WITH shipment_events AS (
  SELECT m.*, COALESCE(m.occurred_at, m.created_at) AS event_at
  FROM `PROJECT.DATASET.flexport_milestones` AS m
  WHERE m.shipment_id IS NOT NULL
),
ranked AS (
  -- Invoices say nothing about where the cargo is: they are the latest milestone only of a
  -- shipment that has nothing else.
  SELECT s.*, ROW_NUMBER() OVER (
    PARTITION BY s.shipment_id
    ORDER BY IF(s.category = 'billing', 1, 0),
      s.event_at DESC NULLS LAST, LENGTH(s.event_id) DESC, s.event_id DESC
  ) AS recency
  FROM shipment_events AS s
),
totals AS (
  -- ARRAY_AGG(... IGNORE NULLS ORDER BY ... LIMIT 1)[SAFE_OFFSET(0)]: the latest non-null
  -- value; in a DESC order BigQuery puts NULL times last, as the other stores are told to.
  SELECT
    shipment_id,
    ARRAY_AGG(shipment_name IGNORE NULLS
      ORDER BY event_at DESC, LENGTH(event_id) DESC, event_id DESC LIMIT 1)[SAFE_OFFSET(0)] AS shipment_name,
    ARRAY_AGG(transportation_mode IGNORE NULLS
      ORDER BY event_at DESC, LENGTH(event_id) DESC, event_id DESC LIMIT 1)[SAFE_OFFSET(0)] AS transportation_mode,
    ARRAY_AGG(estimated_departure_date IGNORE NULLS
      ORDER BY event_at DESC, LENGTH(event_id) DESC, event_id DESC LIMIT 1)[SAFE_OFFSET(0)] AS estimated_departure_date,
    ARRAY_AGG(actual_departure_date IGNORE NULLS
      ORDER BY event_at DESC, LENGTH(event_id) DESC, event_id DESC LIMIT 1)[SAFE_OFFSET(0)] AS actual_departure_date,
    ARRAY_AGG(estimated_arrival_date IGNORE NULLS
      ORDER BY event_at DESC, LENGTH(event_id) DESC, event_id DESC LIMIT 1)[SAFE_OFFSET(0)] AS estimated_arrival_date,
    ARRAY_AGG(actual_arrival_date IGNORE NULLS
      ORDER BY event_at DESC, LENGTH(event_id) DESC, event_id DESC LIMIT 1)[SAFE_OFFSET(0)] AS actual_arrival_date,
    MAX(IF(effect = 'delivered', event_at, NULL)) AS delivered_at,
    MAX(IF(effect = 'customs_hold', event_at, NULL)) AS last_customs_hold_at,
    MAX(IF(effect = 'customs_release', event_at, NULL)) AS last_customs_release_at,
    ARRAY_AGG(IF(category = 'exception', label, NULL) IGNORE NULLS
      ORDER BY event_at DESC, LENGTH(event_id) DESC, event_id DESC LIMIT 1)[SAFE_OFFSET(0)] AS last_exception_label,
    MAX(IF(category = 'exception', event_at, NULL)) AS last_exception_at,
    COUNT(*) AS event_count,
    MIN(event_at) AS first_event_at,
    MAX(event_at) AS last_event_at
  FROM shipment_events
  GROUP BY shipment_id
),
flags AS (
  SELECT
    t.*,
    t.delivered_at IS NOT NULL AS delivered,
    -- A hold is open until a release or a delivery at or after it.
    t.last_customs_hold_at IS NOT NULL
      AND (t.last_customs_release_at IS NULL OR t.last_customs_release_at < t.last_customs_hold_at)
      AND (t.delivered_at IS NULL OR t.delivered_at < t.last_customs_hold_at) AS customs_hold_open,
    -- An exception is open until a delivery at or after it.
    t.last_exception_at IS NOT NULL
      AND (t.delivered_at IS NULL OR t.delivered_at < t.last_exception_at) AS exception_open
  FROM totals AS t
)
SELECT
  f.shipment_id,
  f.shipment_name,
  f.transportation_mode,
  CASE
    WHEN f.customs_hold_open OR f.exception_open THEN 'exception'
    WHEN f.delivered THEN 'delivered'
    ELSE 'in-transit'
  END AS status,
  r.type AS latest_milestone_type,
  r.label AS latest_milestone_label,
  r.category AS latest_milestone_category,
  r.event_at AS latest_milestone_at,
  r.location_name AS latest_location_name,
  r.location_code AS latest_location_code,
  f.estimated_departure_date,
  f.actual_departure_date,
  f.estimated_arrival_date,
  f.actual_arrival_date,
  f.delivered,
  f.delivered_at,
  f.customs_hold_open,
  f.last_customs_hold_at,
  f.last_customs_release_at,
  f.exception_open,
  f.last_exception_label,
  f.last_exception_at,
  f.event_count,
  f.first_event_at,
  f.last_event_at
FROM flags AS f
JOIN ranked AS r ON r.shipment_id = f.shipment_id AND r.recency = 1;
