import { type DashboardHandler, notFound, PAGE_REFRESH_BUDGET_MS, page } from "../handler-types.js";
import { prettyJson } from "../pretty-json.js";

/** GET /ui/events/:id : what portcall knows about one stored event. */
export const eventHandler: DashboardHandler = async (request, { store, reports }) => {
  const id = request.params.id ?? "";
  const event = await store.getEvent(id);
  if (event === undefined) return notFound(`No event with id ${id} is stored.`);
  await reports.refresh(PAGE_REFRESH_BUDGET_MS);
  const [exports, shipmentId] = await Promise.all([reports.exportStates(id), reports.shipmentOfEvent(id)]);
  const bytes = Buffer.byteLength(event.payload, "utf8");
  return page("event", `Event ${id}`, {
    event,
    bytes,
    pretty: prettyJson(event.payload),
    exports,
    shipmentId,
  });
};

/** GET /ui/events/:id/raw : the exact stored bytes. */
export const eventRawHandler: DashboardHandler = async (request, { store }) => {
  const id = request.params.id ?? "";
  const event = await store.getEvent(id);
  if (event === undefined) return notFound(`No event with id ${id} is stored.`);
  return {
    kind: "file",
    contentType: "application/json",
    filename: `event-${id.replace(/[^0-9A-Za-z_-]/g, "_")}.json`,
    body: Buffer.from(event.payload, "utf8"),
  };
};
