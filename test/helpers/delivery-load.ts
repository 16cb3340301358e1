import { eventBody } from "./events.js";
import { deliver } from "./http.js";

/** In-process load for the fault cases: unique ids, every answer checked and counted. */
export interface DeliveryLoad {
  readonly acknowledged: Map<string, number>;
  readonly bodies: Map<string, string>;
  readonly statuses: Map<number, number>;
  /** Answers that were neither 2xx nor a 503 with Retry-After and the store_unavailable code. */
  readonly unexpected: string[];
  deliveries: number;
  failedConnections: number;
  /** Slowest answer while `slowWindow` was on, in ms. */
  slowestMs: number;
  slowWindow: boolean;
  stop(): Promise<void>;
}

export function startDeliveryLoad(
  webhookUrl: string,
  options: { firstId: number; concurrency: number; padBytes?: number; maxMs: number },
): DeliveryLoad {
  let stopped = false;
  let nextId = options.firstId;
  const deadline = Date.now() + options.maxMs;
  const load: DeliveryLoad = {
    acknowledged: new Map(),
    bodies: new Map(),
    statuses: new Map(),
    unexpected: [],
    deliveries: 0,
    failedConnections: 0,
    slowestMs: 0,
    slowWindow: false,
    stop: async () => {
      stopped = true;
      await workers;
    },
  };
  const worker = async () => {
    while (!stopped && Date.now() < deadline) {
      const id = String(nextId++);
      const body = eventBody(id, options.padBytes ?? 0);
      load.bodies.set(id, body);
      const started = Date.now();
      load.deliveries++;
      let response: Awaited<ReturnType<typeof deliver>>;
      try {
        response = await deliver(webhookUrl, body);
      } catch {
        load.failedConnections++;
        continue;
      }
      if (load.slowWindow) load.slowestMs = Math.max(load.slowestMs, Date.now() - started);
      load.statuses.set(response.status, (load.statuses.get(response.status) ?? 0) + 1);
      if (response.status === 200) load.acknowledged.set(id, 1);
      else if (
        response.status !== 503 ||
        response.headers.get("retry-after") === null ||
        response.json.error !== "store_unavailable"
      ) {
        load.unexpected.push(`${response.status} ${JSON.stringify(response.json)}`);
      }
      if (load.statuses.get(503) !== undefined) await new Promise((r) => setTimeout(r, 5));
    }
  };
  const workers = Promise.all(Array.from({ length: options.concurrency }, worker));
  return load;
}

export function statusSummary(statuses: ReadonlyMap<number, number>): string {
  return [...statuses.entries()]
    .sort(([a], [b]) => a - b)
    .map(([status, n]) => `${n}×${status}`)
    .join(", ");
}
