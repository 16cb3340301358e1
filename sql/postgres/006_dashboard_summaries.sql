-- Summaries for the dashboard, and the ETA history (docs/views.md, docs/dashboard.md).
-- Runs with search_path set to the installation's schema (PORTCALL_DB_SCHEMA).
-- The same objects exist for SQLite (sql/sqlite/006_dashboard_summaries.sql); the ETA views
-- also for BigQuery (sql/bigquery/flexport_eta_estimates.sql, flexport_eta_history.sql).

-- A date Flexport wrote that is not a valid timestamp gives NULL, not a failed query.
CREATE FUNCTION portcall_try_timestamptz(value text) RETURNS timestamptz
LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN value::timestamptz;
EXCEPTION WHEN others THEN
  RETURN NULL;
END;
$$;

-- Every estimate of departure and arrival an event carried (data.shipment.*): one row per
-- event and kind, with the actual date as known at that event. `estimated` and `actual` are
-- exactly as Flexport wrote them, with the place's offset.
CREATE VIEW flexport_eta_estimates AS
SELECT
  m.shipment_id,
  'departure' AS kind,
  m.event_id,
  m.type AS event_type,
  m.label,
  COALESCE(m.occurred_at, m.created_at) AS announced_at,
  m.estimated_departure_date AS estimated,
  portcall_try_timestamptz(m.estimated_departure_date) AS estimated_at,
  m.actual_departure_date AS actual,
  portcall_try_timestamptz(m.actual_departure_date) AS actual_at
FROM flexport_milestones AS m
WHERE m.shipment_id IS NOT NULL
  AND (m.estimated_departure_date IS NOT NULL OR m.actual_departure_date IS NOT NULL)
UNION ALL
SELECT
  m.shipment_id,
  'arrival' AS kind,
  m.event_id,
  m.type AS event_type,
  m.label,
  COALESCE(m.occurred_at, m.created_at) AS announced_at,
  m.estimated_arrival_date AS estimated,
  portcall_try_timestamptz(m.estimated_arrival_date) AS estimated_at,
  m.actual_arrival_date AS actual,
  portcall_try_timestamptz(m.actual_arrival_date) AS actual_at
FROM flexport_milestones AS m
WHERE m.shipment_id IS NOT NULL
  AND (m.estimated_arrival_date IS NOT NULL OR m.actual_arrival_date IS NOT NULL);

-- One row per announced estimate: an estimate that differs (as an instant) from the one
-- the shipment's previous event carried for the same kind. The first is the first promise.
CREATE VIEW flexport_eta_history AS
WITH ordered AS (
  SELECT e.*,
    LAG(e.estimated_at) OVER (
      PARTITION BY e.shipment_id, e.kind
      ORDER BY e.announced_at, length(e.event_id), e.event_id COLLATE "C"
    ) AS previous_estimated_at
  FROM flexport_eta_estimates AS e
  WHERE e.estimated_at IS NOT NULL
)
SELECT
  shipment_id, kind, event_id, event_type, label, announced_at, estimated, estimated_at,
  previous_estimated_at,
  round(EXTRACT(EPOCH FROM estimated_at - previous_estimated_at))::bigint AS slip_seconds,
  actual, actual_at
FROM ordered
WHERE previous_estimated_at IS NULL OR previous_estimated_at <> estimated_at;

-- The dashboard's shipments board reads one summary row per shipment instead of computing
-- the status view over every event on each request. Events are summarised off the receive
-- path, in two steps (each event once, then each touched shipment once): the trigger below
-- only queues the new ids (one statement per batch, in the same
-- commit), and the dashboard folds the queue into the summaries before it reads.
CREATE TABLE portcall_summary_queue (
  event_id  text PRIMARY KEY
);

CREATE FUNCTION portcall_enqueue_summary() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO portcall_summary_queue (event_id) SELECT n.id FROM new_events n ON CONFLICT DO NOTHING;
  RETURN NULL;
END;
$$;

CREATE TRIGGER portcall_summary_enqueue AFTER INSERT ON flexport_events
REFERENCING NEW TABLE AS new_events
FOR EACH STATEMENT EXECUTE FUNCTION portcall_enqueue_summary();

-- Events stored before this migration are summarised on the first refresh.
INSERT INTO portcall_summary_queue (event_id) SELECT id FROM flexport_events;

-- Which shipment each summarised event belongs to, what it can be found by (purchase
-- orders, container numbers, bills of lading; lower-case, space-separated), and the columns
-- of flexport_milestones the status logic reads, copied once when the event is summarised so
-- that recomputing a shipment reads no payload. Label, category and effect are joined from
-- flexport_event_types at recomputation, as the status view does.
CREATE TABLE flexport_shipment_events (
  event_id                  text PRIMARY KEY,
  shipment_id               text NOT NULL,
  search_terms              text NOT NULL,
  type                      text,
  occurred_at               timestamptz,
  created_at                timestamptz,
  shipment_name             text,
  transportation_mode       text,
  location_name             text,
  location_code             text,
  estimated_departure_date  text,
  actual_departure_date     text,
  estimated_arrival_date    text,
  actual_arrival_date       text
);

CREATE INDEX flexport_shipment_events_shipment_id ON flexport_shipment_events (shipment_id);

-- Shipments with events summarised since their board row was last computed.
CREATE TABLE portcall_summary_dirty (
  shipment_id  text PRIMARY KEY
);

-- The events a refresh is recomputing; empty outside the refresh's own transaction, which
-- holds an advisory lock so two receivers never refresh at once.
CREATE TABLE portcall_summary_scope (
  event_id  text PRIMARY KEY
);

-- flexport_shipment_status's rows, kept per shipment, plus what the board searches.
CREATE TABLE flexport_shipment_board (
  shipment_id               text PRIMARY KEY,
  shipment_name             text,
  transportation_mode       text,
  status                    text NOT NULL,
  latest_milestone_type     text,
  latest_milestone_label    text,
  latest_milestone_category text,
  latest_milestone_at       timestamptz,
  latest_location_name      text,
  latest_location_code      text,
  estimated_departure_date  text,
  actual_departure_date     text,
  estimated_arrival_date    text,
  actual_arrival_date       text,
  delivered                 boolean NOT NULL,
  delivered_at              timestamptz,
  customs_hold_open         boolean NOT NULL,
  last_customs_hold_at      timestamptz,
  last_customs_release_at   timestamptz,
  exception_open            boolean NOT NULL,
  last_exception_label      text,
  last_exception_at         timestamptz,
  event_count               bigint NOT NULL,
  first_event_at            timestamptz,
  last_event_at             timestamptz,
  search_text               text NOT NULL DEFAULT ''
);

CREATE INDEX flexport_shipment_board_last_event_at ON flexport_shipment_board (last_event_at);
CREATE INDEX flexport_shipment_board_status ON flexport_shipment_board (status, last_event_at);

-- The configured sources (flexport_events.source_name) each shipment's events came through,
-- filled as events are summarised, so the board filters by source with one index lookup.
CREATE TABLE flexport_shipment_sources (
  source_name  text NOT NULL,
  shipment_id  text NOT NULL,
  PRIMARY KEY (source_name, shipment_id)
);

-- The status logic of flexport_shipment_status (003), over the events in
-- portcall_summary_scope only, so a refresh recomputes just the shipments it touched.
CREATE VIEW portcall_shipment_status_in_scope AS
WITH shipment_events AS (
  -- The milestone columns kept in flexport_shipment_events: no payload is read here.
  -- Driven from the scope, one indexed lookup per event: OFFSET 0 keeps the planner (which
  -- has no statistics for the short-lived scope) from hashing a scan of every event.
  SELECT f.event_id, f.shipment_id, f.type, COALESCE(t.label, f.type) AS label,
    COALESCE(t.category, 'other') AS category, t.effect, f.occurred_at, f.created_at,
    f.shipment_name, f.transportation_mode, f.location_name, f.location_code,
    f.estimated_departure_date, f.actual_departure_date, f.estimated_arrival_date,
    f.actual_arrival_date, COALESCE(f.occurred_at, f.created_at) AS event_at
  FROM portcall_summary_scope AS scope
  CROSS JOIN LATERAL (
    SELECT * FROM flexport_shipment_events AS v WHERE v.event_id = scope.event_id OFFSET 0
  ) AS f
  LEFT JOIN flexport_event_types AS t ON t.type = f.type
),
ranked AS (
  -- Invoices say nothing about where the cargo is: they are the latest milestone only of a
  -- shipment that has nothing else.
  SELECT s.*, ROW_NUMBER() OVER (
    PARTITION BY s.shipment_id
    ORDER BY CASE WHEN s.category = 'billing' THEN 1 ELSE 0 END,
      s.event_at DESC NULLS LAST, length(s.event_id) DESC, s.event_id COLLATE "C" DESC
  ) AS recency
  FROM shipment_events AS s
),
totals AS (
  SELECT
    shipment_id,
    (array_agg(shipment_name ORDER BY event_at DESC NULLS LAST, length(event_id) DESC, event_id COLLATE "C" DESC)
      FILTER (WHERE shipment_name IS NOT NULL))[1] AS shipment_name,
    (array_agg(transportation_mode ORDER BY event_at DESC NULLS LAST, length(event_id) DESC, event_id COLLATE "C" DESC)
      FILTER (WHERE transportation_mode IS NOT NULL))[1] AS transportation_mode,
    (array_agg(estimated_departure_date ORDER BY event_at DESC NULLS LAST, length(event_id) DESC, event_id COLLATE "C" DESC)
      FILTER (WHERE estimated_departure_date IS NOT NULL))[1] AS estimated_departure_date,
    (array_agg(actual_departure_date ORDER BY event_at DESC NULLS LAST, length(event_id) DESC, event_id COLLATE "C" DESC)
      FILTER (WHERE actual_departure_date IS NOT NULL))[1] AS actual_departure_date,
    (array_agg(estimated_arrival_date ORDER BY event_at DESC NULLS LAST, length(event_id) DESC, event_id COLLATE "C" DESC)
      FILTER (WHERE estimated_arrival_date IS NOT NULL))[1] AS estimated_arrival_date,
    (array_agg(actual_arrival_date ORDER BY event_at DESC NULLS LAST, length(event_id) DESC, event_id COLLATE "C" DESC)
      FILTER (WHERE actual_arrival_date IS NOT NULL))[1] AS actual_arrival_date,
    MAX(event_at) FILTER (WHERE effect = 'delivered') AS delivered_at,
    MAX(event_at) FILTER (WHERE effect = 'customs_hold') AS last_customs_hold_at,
    MAX(event_at) FILTER (WHERE effect = 'customs_release') AS last_customs_release_at,
    (array_agg(label ORDER BY event_at DESC NULLS LAST, length(event_id) DESC, event_id COLLATE "C" DESC)
      FILTER (WHERE category = 'exception'))[1] AS last_exception_label,
    MAX(event_at) FILTER (WHERE category = 'exception') AS last_exception_at,
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
  f.event_count::integer AS event_count,
  f.first_event_at,
  f.last_event_at
FROM flags AS f
JOIN ranked AS r ON r.shipment_id = f.shipment_id AND r.recency = 1;
