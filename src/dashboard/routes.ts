import type { DashboardHandler } from "./handler-types.js";
import { boardHandler } from "./handlers/board.js";
import { eventHandler, eventRawHandler } from "./handlers/event.js";
import { healthHandler } from "./handlers/health.js";
import { rejectHandler, rejectRawHandler } from "./handlers/reject.js";
import { shipmentHandler } from "./handlers/shipment.js";

/** Every dashboard page, listed once; paths are relative to the dashboard's base (/ui). */
export const DASHBOARD_ROUTES: readonly { readonly path: string; readonly handler: DashboardHandler }[] = [
  { path: "/", handler: boardHandler },
  { path: "/shipments/:id", handler: shipmentHandler },
  { path: "/events/:id", handler: eventHandler },
  { path: "/events/:id/raw", handler: eventRawHandler },
  { path: "/health", handler: healthHandler },
  { path: "/rejects/:sha256", handler: rejectHandler },
  { path: "/rejects/:sha256/raw", handler: rejectRawHandler },
];
