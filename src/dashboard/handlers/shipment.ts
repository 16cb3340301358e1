import type { TimelineRow } from "../../stores/reports.js";
import { summariseEta } from "../eta-summary.js";
import { type DashboardHandler, notFound, PAGE_REFRESH_BUDGET_MS, page } from "../handler-types.js";

export interface ContainerState {
  readonly container_number: string;
  readonly label: string;
  readonly at: string | null;
  readonly location_name: string | null;
  readonly location_code: string | null;
  readonly event_id: string;
}

/** GET /ui/shipments/:id : timeline, ETA history, containers, links to each event. */
export const shipmentHandler: DashboardHandler = async (request, { reports }) => {
  const id = request.params.id ?? "";
  await reports.refresh(PAGE_REFRESH_BUDGET_MS);
  const shipment = await reports.shipment(id);
  if (shipment === undefined) return notFound(`No events are stored for shipment ${id}.`);
  const [milestones, estimates] = await Promise.all([reports.milestones(id), reports.etaEstimates(id)]);
  return page("shipment", shipment.shipment_name ?? `Shipment ${id}`, {
    charts: true,
    shipment,
    milestones,
    eta: [summariseEta(estimates, "departure"), summariseEta(estimates, "arrival")],
    containers: containerStates(milestones),
  });
};

/** Each container with the latest milestone that named it. */
export function containerStates(milestones: readonly TimelineRow[]): ContainerState[] {
  const latest = new Map<string, ContainerState>();
  for (const m of milestones) {
    for (const number of (m.container_numbers ?? "").split(",")) {
      if (number === "") continue;
      latest.set(number, {
        container_number: number,
        label: m.label,
        at: m.occurred_at ?? m.created_at,
        location_name: m.location_name,
        location_code: m.location_code,
        event_id: m.event_id,
      });
    }
  }
  return [...latest.values()].sort((a, b) => (a.container_number < b.container_number ? -1 : 1));
}
