/**
 * A jsonb expression that cuts, from an event's stored `payload_json`, a small document
 * holding only the members shipmentSearchTerms reads (shipment-search-terms.ts). The
 * dashboard's fold selects this instead of the payload: it used to fetch up to a chunk of
 * whole payloads into the receiver and parse each there (with 8 MiB events, hundreds of
 * megabytes at once), where PostgreSQL reads these members from the jsonb it already keeps.
 *
 * Each member keeps the value JSON.parse would give it where it is an object, array, string
 * or number (numbers as PostgreSQL's numeric prints them, which parse to the same value); a
 * member that is missing or reached through a non-object gives null, which
 * shipmentSearchTerms reads as absent. jsonb keeps the last of a member named twice, as
 * JSON.parse does.
 *
 * `data` is the payload's `data` member as jsonb, read once per row by the caller (each path
 * on the stored column would fetch and decompress the whole payload again). A payload with no
 * jsonb copy (one PostgreSQL refuses, such as a string holding \u0000) gives a document of
 * nulls, so no terms; it has no shipment in flexport_milestones either, so the fold skips it.
 */
export function searchDocumentSql(data: string): string {
  const at = (path: string) => `${data} #> '{${path}}'`;
  const arrayAt = (path: string, member: string) =>
    `(SELECT jsonb_agg(jsonb_build_object('${member}', element -> '${member}'))
      FROM jsonb_array_elements(CASE WHEN jsonb_typeof(${at(path)}) = 'array' THEN ${at(path)} END) AS element)`;
  const shipmentLike = (name: "shipment" | "resource") =>
    `jsonb_build_object(
       '_object', ${at(`${name},_object`)},
       'metadata', jsonb_build_object('purchase_order', ${at(`${name},metadata,purchase_order`)}),
       'items', ${arrayAt(`${name},items`, "purchase_order_number")},
       'ocean_shipment', jsonb_build_object(
         'house_bill_number', ${at(`${name},ocean_shipment,house_bill_number`)},
         'master_bill_number', ${at(`${name},ocean_shipment,master_bill_number`)}),
       'air_shipment', jsonb_build_object(
         'house_airway_bill', ${at(`${name},air_shipment,house_airway_bill`)},
         'master_airway_bill', ${at(`${name},air_shipment,master_airway_bill`)}),
       'container_number', ${at(`${name},container_number`)})`;
  return `jsonb_build_object('data', jsonb_build_object(
      'shipment', ${shipmentLike("shipment")},
      'resource', ${shipmentLike("resource")},
      'containers', ${arrayAt("containers", "container_number")}))`;
}
