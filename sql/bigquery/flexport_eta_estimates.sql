-- Every estimate of departure and arrival an event carried (data.shipment.*): one row per
-- event and kind, the same columns and values as flexport_eta_estimates in SQLite and
-- PostgreSQL (docs/views.md). Reads flexport_milestones; placeholders as in that file.
CREATE OR REPLACE VIEW `PROJECT.DATASET.flexport_eta_estimates` AS
WITH m AS (
  SELECT *
  FROM `PROJECT.DATASET.flexport_milestones`
  WHERE shipment_id IS NOT NULL
)
SELECT
  m.shipment_id,
  'departure' AS kind,
  m.event_id,
  m.type AS event_type,
  m.label,
  COALESCE(m.occurred_at, m.created_at) AS announced_at,
  m.estimated_departure_date AS estimated,
  SAFE_CAST(m.estimated_departure_date AS TIMESTAMP) AS estimated_at,
  m.actual_departure_date AS actual,
  SAFE_CAST(m.actual_departure_date AS TIMESTAMP) AS actual_at
FROM m
WHERE m.estimated_departure_date IS NOT NULL OR m.actual_departure_date IS NOT NULL
UNION ALL
SELECT
  m.shipment_id,
  'arrival' AS kind,
  m.event_id,
  m.type AS event_type,
  m.label,
  COALESCE(m.occurred_at, m.created_at) AS announced_at,
  m.estimated_arrival_date AS estimated,
  SAFE_CAST(m.estimated_arrival_date AS TIMESTAMP) AS estimated_at,
  m.actual_arrival_date AS actual,
  SAFE_CAST(m.actual_arrival_date AS TIMESTAMP) AS actual_at
FROM m
WHERE m.estimated_arrival_date IS NOT NULL OR m.actual_arrival_date IS NOT NULL;
