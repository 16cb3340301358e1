-- Summaries for the dashboard, and the ETA history (docs/views.md, docs/dashboard.md).
-- The same objects exist for PostgreSQL (sql/postgres/006_dashboard_summaries.sql); the ETA
-- views also for BigQuery (sql/bigquery/flexport_eta_estimates.sql, flexport_eta_history.sql).

-- Every estimate of departure and arrival an event carried (data.shipment.*): one row per
-- event and kind, with the actual date as known at that event. Times are ISO-8601 UTC text;
-- `estimated` and `actual` are exactly as Flexport wrote them, with the place's offset.
CREATE VIEW flexport_eta_estimates AS
SELECT
  m.shipment_id,
  'departure' AS kind,
  m.event_id,
  m.type AS event_type,
  m.label,
  COALESCE(m.occurred_at, m.created_at) AS announced_at,
  m.estimated_departure_date AS estimated,
  strftime('%Y-%m-%dT%H:%M:%fZ', m.estimated_departure_date) AS estimated_at,
  m.actual_departure_date AS actual,
  strftime('%Y-%m-%dT%H:%M:%fZ', m.actual_departure_date) AS actual_at
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
  strftime('%Y-%m-%dT%H:%M:%fZ', m.estimated_arrival_date) AS estimated_at,
  m.actual_arrival_date AS actual,
  strftime('%Y-%m-%dT%H:%M:%fZ', m.actual_arrival_date) AS actual_at
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
      ORDER BY e.announced_at, length(e.event_id), e.event_id
    ) AS previous_estimated_at
  FROM flexport_eta_estimates AS e
  WHERE e.estimated_at IS NOT NULL
)
SELECT
  shipment_id, kind, event_id, event_type, label, announced_at, estimated, estimated_at,
  previous_estimated_at,
  CAST(round((julianday(estimated_at) - julianday(previous_estimated_at)) * 86400) AS INTEGER)
    AS slip_seconds,
  actual, actual_at
FROM ordered
WHERE previous_estimated_at IS NULL OR previous_estimated_at <> estimated_at;

-- The dashboard's shipments board reads one summary row per shipment instead of computing
-- the status view over every event on each request. Events are summarised off the receive
-- path, in two steps (each event once, then each touched shipment once): the trigger below
-- only queues the new id (one small insert in the same commit), and
-- the dashboard folds the queue into the summaries before it reads.
CREATE TABLE portcall_summary_queue (
  event_id  TEXT PRIMARY KEY
);

CREATE TRIGGER portcall_summary_enqueue AFTER INSERT ON flexport_events
BEGIN
  INSERT OR IGNORE INTO portcall_summary_queue (event_id) VALUES (NEW.id);
END;

-- Events stored before this migration are summarised on the first refresh.
INSERT INTO portcall_summary_queue (event_id) SELECT id FROM flexport_events;

-- Which shipment each summarised event belongs to, what it can be found by (purchase
-- orders, container numbers, bills of lading; lower-case, space-separated), and the columns
-- of flexport_milestones the status logic reads, copied once when the event is summarised so
-- that recomputing a shipment reads no payload. Label, category and effect are joined from
-- flexport_event_types at recomputation, as the status view does.
CREATE TABLE flexport_shipment_events (
  event_id                  TEXT PRIMARY KEY,
  shipment_id               TEXT NOT NULL,
  search_terms              TEXT NOT NULL,
  type                      TEXT,
  occurred_at               TEXT,
  created_at                TEXT,
  shipment_name             TEXT,
  transportation_mode       TEXT,
  location_name             TEXT,
  location_code             TEXT,
  estimated_departure_date  TEXT,
  actual_departure_date     TEXT,
  estimated_arrival_date    TEXT,
  actual_arrival_date       TEXT
);

CREATE INDEX flexport_shipment_events_shipment_id ON flexport_shipment_events (shipment_id);

-- Shipments with events summarised since their board row was last computed.
CREATE TABLE portcall_summary_dirty (
  shipment_id  TEXT PRIMARY KEY
);

-- The events a refresh is recomputing; empty outside the refresh's own transaction.
CREATE TABLE portcall_summary_scope (
  event_id  TEXT PRIMARY KEY
);

-- flexport_shipment_status's rows, kept per shipment, plus what the board searches.
CREATE TABLE flexport_shipment_board (
  shipment_id               TEXT PRIMARY KEY,
  shipment_name             TEXT,
  transportation_mode       TEXT,
  status                    TEXT NOT NULL,
  latest_milestone_type     TEXT,
  latest_milestone_label    TEXT,
  latest_milestone_category TEXT,
  latest_milestone_at       TEXT,
  latest_location_name      TEXT,
  latest_location_code      TEXT,
  estimated_departure_date  TEXT,
  actual_departure_date     TEXT,
  estimated_arrival_date    TEXT,
  actual_arrival_date       TEXT,
  delivered                 INTEGER NOT NULL,
  delivered_at              TEXT,
  customs_hold_open         INTEGER NOT NULL,
  last_customs_hold_at      TEXT,
  last_customs_release_at   TEXT,
  exception_open            INTEGER NOT NULL,
  last_exception_label      TEXT,
  last_exception_at         TEXT,
  event_count               INTEGER NOT NULL,
  first_event_at            TEXT,
  last_event_at             TEXT,
  search_text               TEXT NOT NULL DEFAULT ''
);

CREATE INDEX flexport_shipment_board_last_event_at ON flexport_shipment_board (last_event_at);
CREATE INDEX flexport_shipment_board_status ON flexport_shipment_board (status, last_event_at);

-- The configured sources (flexport_events.source_name) each shipment's events came through,
-- filled as events are summarised, so the board filters by source with one index lookup.
CREATE TABLE flexport_shipment_sources (
  source_name  TEXT NOT NULL,
  shipment_id  TEXT NOT NULL,
  PRIMARY KEY (source_name, shipment_id)
);

-- The status logic of flexport_shipment_status (003), over the events in
-- portcall_summary_scope only, so a refresh recomputes just the shipments it touched.
CREATE VIEW portcall_shipment_status_in_scope AS
WITH shipment_events AS (
  -- The milestone columns kept in flexport_shipment_events: no payload is read here.
  -- CROSS JOIN keeps the scope the outer loop (one indexed lookup per event); otherwise
  -- SQLite walks every summarised event by shipment to skip the GROUP BY's sort.
  SELECT f.event_id, f.shipment_id, f.type, COALESCE(t.label, f.type) AS label,
    COALESCE(t.category, 'other') AS category, t.effect, f.occurred_at, f.created_at,
    f.shipment_name, f.transportation_mode, f.location_name, f.location_code,
    f.estimated_departure_date, f.actual_departure_date, f.estimated_arrival_date,
    f.actual_arrival_date, COALESCE(f.occurred_at, f.created_at) AS event_at
  FROM portcall_summary_scope AS scope
  CROSS JOIN flexport_shipment_events AS f ON f.event_id = scope.event_id
  LEFT JOIN flexport_event_types AS t ON t.type = f.type
),
ranked AS (
  -- Invoices say nothing about where the cargo is: they are the latest milestone only of a
  -- shipment that has nothing else.
  SELECT s.*, ROW_NUMBER() OVER (
    PARTITION BY s.shipment_id
    ORDER BY CASE WHEN s.category = 'billing' THEN 1 ELSE 0 END,
      s.event_at DESC NULLS LAST, length(s.event_id) DESC, s.event_id DESC
  ) AS recency
  FROM shipment_events AS s
),
totals AS (
  SELECT
    shipment_id,
    json_group_array(shipment_name ORDER BY event_at DESC NULLS LAST, length(event_id) DESC, event_id DESC)
      FILTER (WHERE shipment_name IS NOT NULL) ->> '$[0]' AS shipment_name,
    json_group_array(transportation_mode ORDER BY event_at DESC NULLS LAST, length(event_id) DESC, event_id DESC)
      FILTER (WHERE transportation_mode IS NOT NULL) ->> '$[0]' AS transportation_mode,
    json_group_array(estimated_departure_date ORDER BY event_at DESC NULLS LAST, length(event_id) DESC, event_id DESC)
      FILTER (WHERE estimated_departure_date IS NOT NULL) ->> '$[0]' AS estimated_departure_date,
    json_group_array(actual_departure_date ORDER BY event_at DESC NULLS LAST, length(event_id) DESC, event_id DESC)
      FILTER (WHERE actual_departure_date IS NOT NULL) ->> '$[0]' AS actual_departure_date,
    json_group_array(estimated_arrival_date ORDER BY event_at DESC NULLS LAST, length(event_id) DESC, event_id DESC)
      FILTER (WHERE estimated_arrival_date IS NOT NULL) ->> '$[0]' AS estimated_arrival_date,
    json_group_array(actual_arrival_date ORDER BY event_at DESC NULLS LAST, length(event_id) DESC, event_id DESC)
      FILTER (WHERE actual_arrival_date IS NOT NULL) ->> '$[0]' AS actual_arrival_date,
    MAX(CASE WHEN effect = 'delivered' THEN event_at END) AS delivered_at,
    MAX(CASE WHEN effect = 'customs_hold' THEN event_at END) AS last_customs_hold_at,
    MAX(CASE WHEN effect = 'customs_release' THEN event_at END) AS last_customs_release_at,
    json_group_array(label ORDER BY event_at DESC NULLS LAST, length(event_id) DESC, event_id DESC)
      FILTER (WHERE category = 'exception') ->> '$[0]' AS last_exception_label,
    MAX(CASE WHEN category = 'exception' THEN event_at END) AS last_exception_at,
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
