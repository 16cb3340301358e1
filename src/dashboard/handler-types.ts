import type { DeliveryLog } from "../server/delivery-log.js";
import type { DashboardReports } from "../stores/reports.js";
import type { EventStore } from "../stores/store.js";

/** What a handler sees of a request: no framework types, so handlers test without a server. */
export interface DashboardRequest {
  readonly params: Readonly<Record<string, string>>;
  readonly query: Readonly<Record<string, string | undefined>>;
}

export type DashboardResult =
  | {
      readonly kind: "page";
      readonly status: number;
      /** Template name under ui/views. */
      readonly view: string;
      readonly title: string;
      readonly data: Readonly<Record<string, unknown>>;
    }
  | {
      readonly kind: "file";
      readonly contentType: string;
      readonly filename: string;
      readonly body: Buffer;
    };

/** What the handlers read through; the plugin builds it once. */
export interface DashboardContext {
  readonly reports: DashboardReports;
  readonly store: Pick<EventStore, "dialect" | "getEvent" | "listRejects" | "getReject" | "ping">;
  readonly deliveries: DeliveryLog;
  /** Whether the store can take a write now, within a bounded time. */
  storeReady(): Promise<{ ready: boolean; error?: string }>;
}

export type DashboardHandler = (
  request: DashboardRequest,
  context: DashboardContext,
) => Promise<DashboardResult>;

/**
 * How long a page may spend folding new events into the summaries before it reads; a large
 * backlog (after an upgrade, a backfill) is caught up by the plugin's background loop.
 */
export const PAGE_REFRESH_BUDGET_MS = 200;

export function page(
  view: string,
  title: string,
  data: Record<string, unknown>,
  status = 200,
): DashboardResult {
  return { kind: "page", status, view, title, data };
}

export function notFound(what: string): DashboardResult {
  return page("not-found", "Not found", { message: what }, 404);
}

export function badRequest(message: string): DashboardResult {
  return page("not-found", "Bad request", { message }, 400);
}
