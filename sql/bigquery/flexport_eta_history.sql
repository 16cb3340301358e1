-- One row per announced estimate: an estimate that differs (as an instant) from the one the
-- shipment's previous event carried for the same kind; the same columns and values as
-- flexport_eta_history in SQLite and PostgreSQL (docs/views.md). Placeholders as in
-- flexport_milestones.sql.
CREATE OR REPLACE VIEW `PROJECT.DATASET.flexport_eta_history` AS
WITH ordered AS (
  SELECT
    e.*,
    LAG(e.estimated_at) OVER (
      PARTITION BY e.shipment_id, e.kind
      ORDER BY e.announced_at, LENGTH(e.event_id), e.event_id
    ) AS previous_estimated_at
  FROM `PROJECT.DATASET.flexport_eta_estimates` AS e
  WHERE e.estimated_at IS NOT NULL
)
SELECT
  shipment_id,
  kind,
  event_id,
  event_type,
  label,
  announced_at,
  estimated,
  estimated_at,
  previous_estimated_at,
  TIMESTAMP_DIFF(estimated_at, previous_estimated_at, SECOND) AS slip_seconds,
  actual,
  actual_at
FROM ordered
WHERE previous_estimated_at IS NULL OR previous_estimated_at <> estimated_at;
