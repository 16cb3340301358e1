import { request } from "node:http";
import { signBody } from "../../../src/core/signature.js";
import { alertingEventBody, eventBody, seededRandom } from "../../helpers/events.js";

/**
 * A load generator in its own process (started with fork): signed deliveries of unique ids
 * plus redeliveries of ids already sent, until the parent says "stop" or its own deadline
 * passes. It reports, per id, how many deliveries got a 2xx.
 */
export interface LoadOptions {
  readonly url: string;
  readonly secret: string;
  readonly firstId: number;
  readonly concurrency: number;
  /** Share of deliveries that resend an id already sent (same bytes). */
  readonly redeliveryRate: number;
  readonly maxDeliveries: number;
  readonly maxMs: number;
  readonly seed: number;
  /** Send alertingEventBody (every fourth id an exception) instead of eventBody. */
  readonly alerting?: boolean;
}

export interface LoadReport {
  readonly deliveries: number;
  readonly statuses: Record<string, number>;
  /** id → number of 2xx answers. */
  readonly acknowledged: Record<string, number>;
  /** Every id sent at least once. */
  readonly sent: string[];
  readonly unanswered: number;
}

function post(url: URL, body: Buffer, headers: Record<string, string>): Promise<number | undefined> {
  return new Promise((resolve) => {
    const req = request(
      url,
      {
        method: "POST",
        agent: false,
        timeout: 5000,
        headers: { ...headers, "content-type": "application/json", "content-length": body.byteLength },
      },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode));
        res.on("error", () => resolve(undefined));
      },
    );
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", () => resolve(undefined));
    req.end(body);
  });
}

async function run(options: LoadOptions, stopped: () => boolean): Promise<LoadReport> {
  const url = new URL(options.url);
  const random = seededRandom(options.seed);
  const deadline = Date.now() + options.maxMs;
  const sent: string[] = [];
  const acknowledged: Record<string, number> = {};
  const statuses: Record<string, number> = {};
  let nextId = options.firstId;
  let deliveries = 0;
  let unanswered = 0;

  const worker = async () => {
    while (!stopped() && Date.now() < deadline && deliveries < options.maxDeliveries) {
      deliveries++;
      const redeliver = sent.length > 0 && random() < options.redeliveryRate;
      const id = redeliver ? (sent[Math.floor(random() * sent.length)] as string) : String(nextId++);
      if (!redeliver) sent.push(id);
      const body = Buffer.from(options.alerting ? alertingEventBody(id) : eventBody(id), "utf8");
      const status = await post(url, body, signBody(body, options.secret));
      if (status === undefined) {
        unanswered++;
        // The receiver is down (being restarted): back off briefly instead of spinning.
        await new Promise((resolve) => setTimeout(resolve, 20));
        continue;
      }
      statuses[status] = (statuses[status] ?? 0) + 1;
      if (status >= 200 && status < 300) acknowledged[id] = (acknowledged[id] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  return { deliveries, statuses, acknowledged, sent, unanswered };
}

if (process.send !== undefined) {
  let stop = false;
  process.on("message", (message: { kind: string; options?: LoadOptions }) => {
    if (message.kind === "stop") stop = true;
    if (message.kind === "start" && message.options !== undefined) {
      void run(message.options, () => stop).then((report) => {
        process.send?.({ kind: "report", report }, () => process.disconnect());
      });
    }
  });
}
