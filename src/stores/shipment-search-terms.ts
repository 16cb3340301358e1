/**
 * What a person may search a shipment by, from one event's payload: purchase orders,
 * container numbers, bills of lading and airway bills. Lower-case, space-separated, unique.
 * A payload that is not JSON, or lacks these fields, gives "".
 */
export function shipmentSearchTerms(payload: string): string {
  let doc: unknown;
  try {
    doc = JSON.parse(payload);
  } catch {
    return "";
  }
  return searchTermsOfDocument(doc);
}

/**
 * The same terms from an already-parsed document: the payload itself, or the small document
 * PostgreSQL cuts from it (postgres/postgres-search-document.ts), which holds only the
 * members read here, so that the payload never has to travel to portcall to be parsed.
 */
export function searchTermsOfDocument(doc: unknown): string {
  const terms = new Set<string>();
  const add = (value: unknown) => {
    if (typeof value === "string" || typeof value === "number") {
      const text = String(value).trim().toLowerCase();
      if (text !== "" && text.length <= 200) terms.add(text.replace(/\s+/g, " "));
    }
  };
  const data = field(doc, "data");
  const shipments = [field(data, "shipment"), field(data, "resource")].filter(
    (s) => field(s, "_object") === "/shipment",
  );
  for (const shipment of shipments) {
    for (const po of list(field(field(shipment, "metadata"), "purchase_order"))) add(po);
    for (const item of list(field(shipment, "items"))) add(field(item, "purchase_order_number"));
    const ocean = field(shipment, "ocean_shipment");
    add(field(ocean, "house_bill_number"));
    add(field(ocean, "master_bill_number"));
    const air = field(shipment, "air_shipment");
    add(field(air, "house_airway_bill"));
    add(field(air, "master_airway_bill"));
  }
  for (const container of list(field(data, "containers"))) add(field(container, "container_number"));
  add(field(field(data, "resource"), "container_number"));
  return [...terms].join(" ");
}

function field(value: unknown, name: string): unknown {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)[name]
    : undefined;
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}
