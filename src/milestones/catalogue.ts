/**
 * Every Flexport v2 event type portcall knows, with a label for people and a category.
 * This is the one source of truth: the `flexport_event_types` rows in the SQLite and
 * PostgreSQL migrations and the catalogue inlined in the BigQuery view are rendered from it
 * (`catalogue-sql.ts`), and a test fails when a rendered copy drifts. Types not listed here
 * are still stored and shown, with their raw type as label and category "other".
 *
 * Types and meanings follow Flexport's milestone reference (the `/object#event` names).
 */

export const CATEGORIES = [
  "booking",
  "transit",
  "customs",
  "exception",
  "delivery",
  "billing",
  "documents",
] as const;

export type Category = (typeof CATEGORIES)[number];

/** What an event does to a shipment's status in `flexport_shipment_status`. */
export const EFFECTS = ["customs_hold", "customs_release", "delivered"] as const;

export type Effect = (typeof EFFECTS)[number];

export interface EventType {
  readonly type: string;
  readonly label: string;
  readonly category: Category;
  readonly effect: Effect | null;
}

/** Category of an event type that is not in the catalogue. */
export const UNKNOWN_CATEGORY = "other";

type Row = readonly [type: string, label: string, category: Category, effect?: Effect];

const ROWS: readonly Row[] = [
  // Booking and planning
  ["/shipment#created", "Shipment created", "booking"],
  ["/shipment#booking_confirmed", "Booking confirmed", "booking"],
  ["/shipment#schedule_confirmed", "Schedule confirmed", "booking"],
  ["/shipment#cargo_ready_date_changed", "Cargo ready date changed", "booking"],
  ["/shipment#updated_cargo_ready_date", "Cargo ready date updated", "booking"],

  // Movement of the shipment, its legs and containers
  ["/shipment#updated_route", "Route updated", "transit"],
  ["/shipment_leg#updated_estimated_time_of_departure", "Estimated departure updated", "transit"],
  ["/shipment_leg#updated_estimated_time_of_arrival", "Estimated arrival updated", "transit"],
  ["/shipment_leg#departed", "Departed", "transit"],
  ["/shipment_leg#arrived", "Arrived", "transit"],
  ["/ocean/shipment_container_leg#loaded_on_board", "Container loaded on board", "transit"],
  ["/ocean/shipment_container_leg#unloaded_off_board", "Container unloaded off board", "transit"],
  ["/ocean/shipment_leg#loaded_on_truck", "Cargo loaded on truck", "transit"],
  [
    "/shipment_container_leg#updated_estimated_available_for_pickup",
    "Estimated container availability updated",
    "transit",
  ],
  ["/ocean/shipment_container_leg#available_for_pickup", "Container available for pickup", "transit"],
  ["/ocean/shipment_container#free_time_to_expire", "Container free time about to expire", "transit"],

  // Customs: holds and exams stay open until a release (or delivery) follows them
  ["/shipment#customs_entry_release_status_released", "Customs released", "customs", "customs_release"],
  ["/shipment#customs_agriculture_hold", "Customs hold: agriculture", "customs", "customs_hold"],
  [
    "/shipment#customs_entry_release_status_document_required",
    "Customs hold: documents required",
    "customs",
    "customs_hold",
  ],
  [
    "/shipment#customs_entry_release_status_entry_docs_required",
    "Customs hold: entry documents required",
    "customs",
    "customs_hold",
  ],
  [
    "/shipment#customs_entry_release_status_pending_intensive_exam",
    "Customs hold: intensive exam pending",
    "customs",
    "customs_hold",
  ],
  [
    "/shipment#customs_entry_release_status_release_suspended",
    "Customs hold: release suspended",
    "customs",
    "customs_hold",
  ],
  [
    "/shipment#customs_entry_release_status_under_cbp_review",
    "Customs hold: under CBP review",
    "customs",
    "customs_hold",
  ],
  ["/shipment#customs_undergoing_x_ray_exam", "Customs hold: X-ray exam", "customs", "customs_hold"],
  ["/shipment#export_country_customs_exam", "Customs hold: export country exam", "customs", "customs_hold"],
  [
    "/shipment#export_country_magnetism_exam",
    "Customs hold: export country magnetism exam",
    "customs",
    "customs_hold",
  ],
  ["/shipment#filing_submitted_for_in_bond_transportation", "In-bond filing submitted", "customs"],
  ["/shipment#ftz_admission", "FTZ admission", "customs"],

  // Documents
  ["/shipment#documents_sent_to_nominated_broker", "Documents sent to nominated broker", "documents"],
  ["/shipments#commercial_invoices_digitized", "Commercial invoices digitized", "documents"],

  // Last mile and delivery
  ["/shipment_leg#updated_estimated_out_for_delivery", "Estimated out for delivery updated", "delivery"],
  ["/shipment_leg#out_for_delivery", "Out for delivery", "delivery"],
  ["/shipment_leg#delivery_appointment_requested", "Delivery appointment requested", "delivery"],
  ["/shipment_leg#delivery_appointment_scheduled", "Delivery appointment scheduled", "delivery"],
  [
    "/shipment_container_leg#delivery_appointment_scheduled",
    "Container delivery appointment scheduled",
    "delivery",
  ],
  ["/shipment_leg#delivered", "Arrived at delivery location", "delivery"],
  ["/shipment_leg#delivery_completed", "Delivery completed", "delivery"],
  ["/shipment#delivered_in_full", "Delivered in full", "delivery", "delivered"],
  ["/ocean/shipment_container#empty_returned", "Empty container returned", "delivery"],

  // Exceptions and delays
  ["/ocean/shipment_container#free_time_expired", "Container free time expired", "exception"],
  ["/shipment#returned_to_shipper", "Returned to shipper", "exception"],
  ["/shipment#cargo_breakdown_delay", "Cargo breakdown delay", "exception"],
  ["/shipment#cargo_bumped_from_booked_flight", "Cargo bumped from booked flight", "exception"],
  ["/shipment#cargo_contamination_delay", "Cargo contamination delay", "exception"],
  ["/shipment#cargo_not_available", "Cargo not available", "exception"],
  ["/shipment#cargo_ready_date_changed_exception", "Cargo ready date changed (delay)", "exception"],
  ["/shipment#cargo_rolled_from_booked_vessel", "Cargo rolled from booked vessel", "exception"],
  ["/shipment#dry_run_pickup", "Dry run: pickup not completed", "exception"],
  [
    "/shipment#dry_run_delivery_attempt_not_completed",
    "Dry run: delivery attempt not completed",
    "exception",
  ],
  ["/shipment#equipment_unavailable", "Equipment unavailable", "exception"],
  ["/shipment#flight_delay_mechanical", "Flight delay: mechanical problem", "exception"],
  [
    "/shipment#flight_delay_schedule_updated_by_carrier",
    "Flight delay: schedule changed by carrier",
    "exception",
  ],
  ["/shipment#late_bill_of_lading_release", "Late bill of lading release", "exception"],
  ["/shipment#missed_appointment", "Missed appointment", "exception"],
  ["/shipment#missing_cargo", "Missing cargo", "exception"],
  ["/shipment#no_appointments_available", "No appointments available", "exception"],
  ["/shipment#no_attempt_made", "No delivery attempt made", "exception"],
  ["/shipment#ocean_port_dwell_delay", "Ocean port dwell delay", "exception"],
  [
    "/shipment#pending_customs_clearance_from_nominated_broker",
    "Pending customs clearance from nominated broker",
    "exception",
  ],
  [
    "/shipment#pending_delivery_appointment_confirmation",
    "Pending delivery appointment confirmation",
    "exception",
  ],
  ["/shipment#port_strike_delay", "Port strike delay", "exception"],
  ["/shipment#rail_car_equipment_breakdown", "Rail car equipment breakdown", "exception"],
  ["/shipment#rail_interchange_delay", "Rail interchange delay", "exception"],
  ["/shipment#rail_transfer_delay", "Rail transfer delay", "exception"],
  ["/shipment#shipment_rerouted_by_carrier", "Rerouted by carrier", "exception"],
  ["/shipment#shipment_rerouted_per_client_request", "Rerouted per client request", "exception"],
  ["/shipment#supplier_late_gate_in", "Supplier late gate-in", "exception"],
  ["/shipment#supplier_late_documents", "Supplier late documents", "exception"],
  ["/shipment#transload_delay", "Transload delay", "exception"],
  ["/shipment#transshipment_delay", "Transshipment delay", "exception"],
  ["/shipment#trucker_rejected", "Trucker rejected at delivery site", "exception"],
  ["/shipment#truckers_hours_expired", "Trucker hours expired", "exception"],
  ["/shipment#trucking_delay_chassis_problem", "Trucking delay: chassis problem", "exception"],
  ["/shipment#trucking_delay_mechanical_problem", "Trucking delay: mechanical problem", "exception"],
  ["/shipment#trucking_delay_port_congestion", "Trucking delay: port congestion", "exception"],
  ["/shipment#trucking_delay_other", "Trucking delay: other", "exception"],
  ["/shipment#trucking_delay_strike", "Trucking delay: strike", "exception"],
  ["/shipment#trucking_delay_traffic", "Trucking delay: traffic", "exception"],
  ["/shipment#vessel_delay_mechanical", "Vessel delay: mechanical problem", "exception"],
  ["/shipment#vessel_delay_port_congestion", "Vessel delay: port congestion", "exception"],
  [
    "/shipment#vessel_delay_schedule_updated_by_carrier",
    "Vessel delay: schedule changed by carrier",
    "exception",
  ],
  ["/shipment#warehouse_devan_delay", "Warehouse devan delay", "exception"],
  ["/shipment#weather_delay", "Weather delay", "exception"],

  // Billing
  ["/invoice#invoice_shared", "Invoice shared", "billing"],
  ["/invoice#invoice_due_date_adjusted", "Invoice due date adjusted", "billing"],
  ["/invoice#invoice_payment_made", "Invoice payment made", "billing"],
  ["/invoice#invoice_payment_failed", "Invoice payment failed", "billing"],
  ["/invoice#invoice_credit_applied", "Invoice credit applied", "billing"],
  ["/invoice#invoice_refund_applied", "Invoice refund applied", "billing"],
  ["/invoice#invoice_voided", "Invoice voided", "billing"],
];

export const CATALOGUE: readonly EventType[] = ROWS.map(([type, label, category, effect]) => ({
  type,
  label,
  category,
  effect: effect ?? null,
}));

const BY_TYPE = new Map(CATALOGUE.map((entry) => [entry.type, entry]));

/** The catalogue entry for a type; an unknown type keeps its raw name as label and category "other". */
export function describeEventType(type: string): {
  readonly type: string;
  readonly label: string;
  readonly category: Category | typeof UNKNOWN_CATEGORY;
  readonly effect: Effect | null;
} {
  return BY_TYPE.get(type) ?? { type, label: type, category: UNKNOWN_CATEGORY, effect: null };
}
