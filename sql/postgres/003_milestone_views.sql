-- Milestones and shipment status, read from the stored events (docs/views.md).
-- Runs with search_path set to the installation's schema (PORTCALL_DB_SCHEMA).
-- The same views exist for SQLite (sql/sqlite/003_milestone_views.sql) and BigQuery
-- (sql/bigquery/flexport_milestones.sql, flexport_shipment_status.sql) and give the same rows.

-- Every Flexport event type portcall knows. Types missing here are still shown, with their
-- raw type as label and category 'other'.
CREATE TABLE flexport_event_types (
  type      text PRIMARY KEY,                 -- e.g. /shipment_leg#departed
  label     text NOT NULL,                    -- for people, e.g. Departed
  category  text NOT NULL CHECK (category IN
              ('booking', 'transit', 'customs', 'exception', 'delivery', 'billing', 'documents')),
  effect    text CHECK (effect IN ('customs_hold', 'customs_release', 'delivered'))
);

-- BEGIN catalogue (rendered from src/milestones/catalogue.ts; do not edit by hand)
INSERT INTO flexport_event_types (type, label, category, effect) VALUES
  ('/shipment#created', 'Shipment created', 'booking', NULL),
  ('/shipment#booking_confirmed', 'Booking confirmed', 'booking', NULL),
  ('/shipment#schedule_confirmed', 'Schedule confirmed', 'booking', NULL),
  ('/shipment#cargo_ready_date_changed', 'Cargo ready date changed', 'booking', NULL),
  ('/shipment#updated_cargo_ready_date', 'Cargo ready date updated', 'booking', NULL),
  ('/shipment#updated_route', 'Route updated', 'transit', NULL),
  ('/shipment_leg#updated_estimated_time_of_departure', 'Estimated departure updated', 'transit', NULL),
  ('/shipment_leg#updated_estimated_time_of_arrival', 'Estimated arrival updated', 'transit', NULL),
  ('/shipment_leg#departed', 'Departed', 'transit', NULL),
  ('/shipment_leg#arrived', 'Arrived', 'transit', NULL),
  ('/ocean/shipment_container_leg#loaded_on_board', 'Container loaded on board', 'transit', NULL),
  ('/ocean/shipment_container_leg#unloaded_off_board', 'Container unloaded off board', 'transit', NULL),
  ('/ocean/shipment_leg#loaded_on_truck', 'Cargo loaded on truck', 'transit', NULL),
  ('/shipment_container_leg#updated_estimated_available_for_pickup', 'Estimated container availability updated', 'transit', NULL),
  ('/ocean/shipment_container_leg#available_for_pickup', 'Container available for pickup', 'transit', NULL),
  ('/ocean/shipment_container#free_time_to_expire', 'Container free time about to expire', 'transit', NULL),
  ('/shipment#customs_entry_release_status_released', 'Customs released', 'customs', 'customs_release'),
  ('/shipment#customs_agriculture_hold', 'Customs hold: agriculture', 'customs', 'customs_hold'),
  ('/shipment#customs_entry_release_status_document_required', 'Customs hold: documents required', 'customs', 'customs_hold'),
  ('/shipment#customs_entry_release_status_entry_docs_required', 'Customs hold: entry documents required', 'customs', 'customs_hold'),
  ('/shipment#customs_entry_release_status_pending_intensive_exam', 'Customs hold: intensive exam pending', 'customs', 'customs_hold'),
  ('/shipment#customs_entry_release_status_release_suspended', 'Customs hold: release suspended', 'customs', 'customs_hold'),
  ('/shipment#customs_entry_release_status_under_cbp_review', 'Customs hold: under CBP review', 'customs', 'customs_hold'),
  ('/shipment#customs_undergoing_x_ray_exam', 'Customs hold: X-ray exam', 'customs', 'customs_hold'),
  ('/shipment#export_country_customs_exam', 'Customs hold: export country exam', 'customs', 'customs_hold'),
  ('/shipment#export_country_magnetism_exam', 'Customs hold: export country magnetism exam', 'customs', 'customs_hold'),
  ('/shipment#filing_submitted_for_in_bond_transportation', 'In-bond filing submitted', 'customs', NULL),
  ('/shipment#ftz_admission', 'FTZ admission', 'customs', NULL),
  ('/shipment#documents_sent_to_nominated_broker', 'Documents sent to nominated broker', 'documents', NULL),
  ('/shipments#commercial_invoices_digitized', 'Commercial invoices digitized', 'documents', NULL),
  ('/shipment_leg#updated_estimated_out_for_delivery', 'Estimated out for delivery updated', 'delivery', NULL),
  ('/shipment_leg#out_for_delivery', 'Out for delivery', 'delivery', NULL),
  ('/shipment_leg#delivery_appointment_requested', 'Delivery appointment requested', 'delivery', NULL),
  ('/shipment_leg#delivery_appointment_scheduled', 'Delivery appointment scheduled', 'delivery', NULL),
  ('/shipment_container_leg#delivery_appointment_scheduled', 'Container delivery appointment scheduled', 'delivery', NULL),
  ('/shipment_leg#delivered', 'Arrived at delivery location', 'delivery', NULL),
  ('/shipment_leg#delivery_completed', 'Delivery completed', 'delivery', NULL),
  ('/shipment#delivered_in_full', 'Delivered in full', 'delivery', 'delivered'),
  ('/ocean/shipment_container#empty_returned', 'Empty container returned', 'delivery', NULL),
  ('/ocean/shipment_container#free_time_expired', 'Container free time expired', 'exception', NULL),
  ('/shipment#returned_to_shipper', 'Returned to shipper', 'exception', NULL),
  ('/shipment#cargo_breakdown_delay', 'Cargo breakdown delay', 'exception', NULL),
  ('/shipment#cargo_bumped_from_booked_flight', 'Cargo bumped from booked flight', 'exception', NULL),
  ('/shipment#cargo_contamination_delay', 'Cargo contamination delay', 'exception', NULL),
  ('/shipment#cargo_not_available', 'Cargo not available', 'exception', NULL),
  ('/shipment#cargo_ready_date_changed_exception', 'Cargo ready date changed (delay)', 'exception', NULL),
  ('/shipment#cargo_rolled_from_booked_vessel', 'Cargo rolled from booked vessel', 'exception', NULL),
  ('/shipment#dry_run_pickup', 'Dry run: pickup not completed', 'exception', NULL),
  ('/shipment#dry_run_delivery_attempt_not_completed', 'Dry run: delivery attempt not completed', 'exception', NULL),
  ('/shipment#equipment_unavailable', 'Equipment unavailable', 'exception', NULL),
  ('/shipment#flight_delay_mechanical', 'Flight delay: mechanical problem', 'exception', NULL),
  ('/shipment#flight_delay_schedule_updated_by_carrier', 'Flight delay: schedule changed by carrier', 'exception', NULL),
  ('/shipment#late_bill_of_lading_release', 'Late bill of lading release', 'exception', NULL),
  ('/shipment#missed_appointment', 'Missed appointment', 'exception', NULL),
  ('/shipment#missing_cargo', 'Missing cargo', 'exception', NULL),
  ('/shipment#no_appointments_available', 'No appointments available', 'exception', NULL),
  ('/shipment#no_attempt_made', 'No delivery attempt made', 'exception', NULL),
  ('/shipment#ocean_port_dwell_delay', 'Ocean port dwell delay', 'exception', NULL),
  ('/shipment#pending_customs_clearance_from_nominated_broker', 'Pending customs clearance from nominated broker', 'exception', NULL),
  ('/shipment#pending_delivery_appointment_confirmation', 'Pending delivery appointment confirmation', 'exception', NULL),
  ('/shipment#port_strike_delay', 'Port strike delay', 'exception', NULL),
  ('/shipment#rail_car_equipment_breakdown', 'Rail car equipment breakdown', 'exception', NULL),
  ('/shipment#rail_interchange_delay', 'Rail interchange delay', 'exception', NULL),
  ('/shipment#rail_transfer_delay', 'Rail transfer delay', 'exception', NULL),
  ('/shipment#shipment_rerouted_by_carrier', 'Rerouted by carrier', 'exception', NULL),
  ('/shipment#shipment_rerouted_per_client_request', 'Rerouted per client request', 'exception', NULL),
  ('/shipment#supplier_late_gate_in', 'Supplier late gate-in', 'exception', NULL),
  ('/shipment#supplier_late_documents', 'Supplier late documents', 'exception', NULL),
  ('/shipment#transload_delay', 'Transload delay', 'exception', NULL),
  ('/shipment#transshipment_delay', 'Transshipment delay', 'exception', NULL),
  ('/shipment#trucker_rejected', 'Trucker rejected at delivery site', 'exception', NULL),
  ('/shipment#truckers_hours_expired', 'Trucker hours expired', 'exception', NULL),
  ('/shipment#trucking_delay_chassis_problem', 'Trucking delay: chassis problem', 'exception', NULL),
  ('/shipment#trucking_delay_mechanical_problem', 'Trucking delay: mechanical problem', 'exception', NULL),
  ('/shipment#trucking_delay_port_congestion', 'Trucking delay: port congestion', 'exception', NULL),
  ('/shipment#trucking_delay_other', 'Trucking delay: other', 'exception', NULL),
  ('/shipment#trucking_delay_strike', 'Trucking delay: strike', 'exception', NULL),
  ('/shipment#trucking_delay_traffic', 'Trucking delay: traffic', 'exception', NULL),
  ('/shipment#vessel_delay_mechanical', 'Vessel delay: mechanical problem', 'exception', NULL),
  ('/shipment#vessel_delay_port_congestion', 'Vessel delay: port congestion', 'exception', NULL),
  ('/shipment#vessel_delay_schedule_updated_by_carrier', 'Vessel delay: schedule changed by carrier', 'exception', NULL),
  ('/shipment#warehouse_devan_delay', 'Warehouse devan delay', 'exception', NULL),
  ('/shipment#weather_delay', 'Weather delay', 'exception', NULL),
  ('/invoice#invoice_shared', 'Invoice shared', 'billing', NULL),
  ('/invoice#invoice_due_date_adjusted', 'Invoice due date adjusted', 'billing', NULL),
  ('/invoice#invoice_payment_made', 'Invoice payment made', 'billing', NULL),
  ('/invoice#invoice_payment_failed', 'Invoice payment failed', 'billing', NULL),
  ('/invoice#invoice_credit_applied', 'Invoice credit applied', 'billing', NULL),
  ('/invoice#invoice_refund_applied', 'Invoice refund applied', 'billing', NULL),
  ('/invoice#invoice_voided', 'Invoice voided', 'billing', NULL);
-- END catalogue

-- One row per stored event. Values come from payload_json; any that is missing is NULL
-- (all of them when the payload could not be held as jsonb).
CREATE VIEW flexport_milestones AS
SELECT
  e.id AS event_id,
  e.type,
  COALESCE(t.label, e.type) AS label,
  COALESCE(t.category, 'other') AS category,
  t.effect,
  e.occurred_at,
  e.created_at,
  e.payload_json #>> '{data,resource,_object}' AS resource_object,
  e.payload_json #>> '{data,resource,id}' AS resource_id,
  COALESCE(
    e.payload_json #>> '{data,shipment,id}',
    e.payload_json #>> '{data,resource,shipment,id}',
    CASE WHEN e.payload_json #>> '{data,resource,_object}' = '/shipment'
      THEN e.payload_json #>> '{data,resource,id}' END
  ) AS shipment_id,
  COALESCE(
    e.payload_json #>> '{data,shipment,name}',
    CASE WHEN e.payload_json #>> '{data,resource,_object}' = '/shipment'
      THEN e.payload_json #>> '{data,resource,name}' END
  ) AS shipment_name,
  COALESCE(
    e.payload_json #>> '{data,shipment,transportation_mode}',
    e.payload_json #>> '{data,resource,transportation_mode}'
  ) AS transportation_mode,
  e.payload_json #>> '{data,location,place,name}' AS location_name,
  e.payload_json #>> '{data,location,place,address,unlocode}' AS location_code,
  (
    SELECT string_agg(c.value ->> 'container_number', ',' ORDER BY c.ordinality)
    FROM jsonb_array_elements(
      CASE WHEN jsonb_typeof(e.payload_json #> '{data,containers}') = 'array'
        THEN e.payload_json #> '{data,containers}' END
    ) WITH ORDINALITY AS c(value, ordinality)
  ) AS container_numbers,
  e.payload_json #>> '{data,shipment,estimated_departure_date}' AS estimated_departure_date,
  e.payload_json #>> '{data,shipment,actual_departure_date}' AS actual_departure_date,
  e.payload_json #>> '{data,shipment,estimated_arrival_date}' AS estimated_arrival_date,
  e.payload_json #>> '{data,shipment,actual_arrival_date}' AS actual_arrival_date
FROM flexport_events AS e
LEFT JOIN flexport_event_types AS t ON t.type = e.type;

-- One row per shipment (Flexport's shipment id). An event's time is occurred_at, or
-- created_at when Flexport sent none; "latest" orders by that time, then by event id.
CREATE VIEW flexport_shipment_status AS
WITH shipment_events AS (
  SELECT m.*, COALESCE(m.occurred_at, m.created_at) AS event_at
  FROM flexport_milestones AS m
  WHERE m.shipment_id IS NOT NULL
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
