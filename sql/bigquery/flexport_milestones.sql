-- One row per event, the same columns and values as flexport_milestones in SQLite and
-- PostgreSQL (docs/views.md). Reads the one-row-per-id view <table>_dedup.
-- Placeholders: `PROJECT.DATASET.flexport_events` stands for the events table (so
-- `PROJECT.DATASET.flexport_events_dedup` is its dedup view) and `PROJECT.DATASET.` for
-- the dataset the views are created in; src/reports/bigquery-views.ts substitutes both.
-- payload may be JSON or STRING: JSON_VALUE and JSON_QUERY_ARRAY accept either.
-- The catalogue of event types is inlined, since BigQuery has no migration to fill a table.
CREATE OR REPLACE VIEW `PROJECT.DATASET.flexport_milestones` AS
WITH event_types AS (
  SELECT *
  FROM UNNEST(ARRAY<STRUCT<type STRING, label STRING, category STRING, effect STRING>>[
    -- BEGIN catalogue (rendered from src/milestones/catalogue.ts; do not edit by hand)
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
    ('/invoice#invoice_voided', 'Invoice voided', 'billing', NULL)
    -- END catalogue
  ])
)
SELECT
  e.id AS event_id,
  e.type,
  COALESCE(t.label, e.type) AS label,
  COALESCE(t.category, 'other') AS category,
  t.effect,
  e.occurred_at,
  e.created_at,
  JSON_VALUE(e.payload, '$.data.resource._object') AS resource_object,
  JSON_VALUE(e.payload, '$.data.resource.id') AS resource_id,
  COALESCE(
    JSON_VALUE(e.payload, '$.data.shipment.id'),
    JSON_VALUE(e.payload, '$.data.resource.shipment.id'),
    IF(JSON_VALUE(e.payload, '$.data.resource._object') = '/shipment',
      JSON_VALUE(e.payload, '$.data.resource.id'), NULL)
  ) AS shipment_id,
  COALESCE(
    JSON_VALUE(e.payload, '$.data.shipment.name'),
    IF(JSON_VALUE(e.payload, '$.data.resource._object') = '/shipment',
      JSON_VALUE(e.payload, '$.data.resource.name'), NULL)
  ) AS shipment_name,
  COALESCE(
    JSON_VALUE(e.payload, '$.data.shipment.transportation_mode'),
    JSON_VALUE(e.payload, '$.data.resource.transportation_mode')
  ) AS transportation_mode,
  JSON_VALUE(e.payload, '$.data.location.place.name') AS location_name,
  JSON_VALUE(e.payload, '$.data.location.place.address.unlocode') AS location_code,
  (
    SELECT STRING_AGG(JSON_VALUE(c, '$.container_number'), ',' ORDER BY position)
    FROM UNNEST(JSON_QUERY_ARRAY(e.payload, '$.data.containers')) AS c WITH OFFSET AS position
  ) AS container_numbers,
  JSON_VALUE(e.payload, '$.data.shipment.estimated_departure_date') AS estimated_departure_date,
  JSON_VALUE(e.payload, '$.data.shipment.actual_departure_date') AS actual_departure_date,
  JSON_VALUE(e.payload, '$.data.shipment.estimated_arrival_date') AS estimated_arrival_date,
  JSON_VALUE(e.payload, '$.data.shipment.actual_arrival_date') AS actual_arrival_date,
  -- BigQuery only: the table's partitioning column, so a query bounded on it reads only
  -- those partitions (docs/views.md, "Partition pruning").
  e.ts AS received_at
FROM `PROJECT.DATASET.flexport_events_dedup` AS e
LEFT JOIN event_types AS t ON t.type = e.type;
