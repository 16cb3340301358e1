import { Agent, request } from "node:http";
import { createRequire } from "node:module";
import { performance } from "node:perf_hooks";
import { summarize } from "./latency-summary.js";
import type {
  ClosedLoopJob,
  LoadJob,
  LoadResult,
  OpenLoopJob,
  ParentMessage,
  WorkerMessage,
} from "./load-protocol.js";
import { type Delivery, generateTraffic } from "./traffic.js";

/**
 * The load generator, in its own process so its CPU is not charged to the server measured
 * (both still share the machine's cores). Driven over IPC by bench/run.ts.
 */

interface AutocannonRequest {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
  setupRequest?: (request: AutocannonRequest, context: object) => AutocannonRequest;
  onResponse?: (status: number, body: string) => void;
}
interface AutocannonResult {
  duration: number;
  errors: number;
  timeouts: number;
  latency: { p50: number; p90: number; p99: number; p99_9: number; max: number; mean: number };
  statusCodeStats: Record<string, { count: number }>;
}
type Autocannon = (options: Record<string, unknown>) => Promise<AutocannonResult>;
// autocannon ships no types; this is the part of its programmatic API used here.
const autocannon = createRequire(import.meta.url)("autocannon") as Autocannon;

/** Resolves once the message is handed to the channel, so disconnecting after it loses nothing. */
function send(message: WorkerMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) resolve();
    else process.send(message, undefined, undefined, () => resolve());
  });
}

function waitFor(type: ParentMessage["type"]): Promise<ParentMessage> {
  return new Promise((resolve) => {
    const listener = (message: ParentMessage) => {
      if (message.type !== type) return;
      process.off("message", listener);
      resolve(message);
    };
    process.on("message", listener);
  });
}

/** Hands out pre-generated deliveries in order, wrapping (and counting it) when they run out. */
function createFeed(deliveries: readonly Delivery[]) {
  let index = 0;
  let wrapped = 0;
  const sentKinds: Record<string, number> = {};
  return {
    next(): Delivery {
      if (index === deliveries.length) {
        index = 0;
        wrapped++;
      }
      const delivery = deliveries[index++] as Delivery;
      sentKinds[delivery.kind] = (sentKinds[delivery.kind] ?? 0) + 1;
      return delivery;
    },
    get wrapped() {
      return wrapped > 0 ? wrapped * deliveries.length + index : 0;
    },
    resetCounts() {
      for (const key of Object.keys(sentKinds)) delete sentKinds[key];
    },
    sentKinds,
  };
}

function answers() {
  const storedIds: string[] = [];
  let duplicates = 0;
  return {
    storedIds,
    get duplicates() {
      return duplicates;
    },
    note(status: number, body: string) {
      if (status !== 200) return;
      try {
        const parsed = JSON.parse(body) as { status?: unknown; id?: unknown };
        if (parsed.status === "stored" && typeof parsed.id === "string") storedIds.push(parsed.id);
        else if (parsed.status === "duplicate") duplicates++;
      } catch {
        // not a JSON answer (the ceiling's is, but nothing depends on it)
      }
    },
  };
}

async function closedLoop(job: ClosedLoopJob, deliveries: readonly Delivery[]): Promise<LoadResult> {
  const feed = createFeed(deliveries);
  const path = new URL(job.url).pathname;
  let seen: ReturnType<typeof answers> | undefined;
  const requests: AutocannonRequest[] = [
    {
      method: "POST",
      setupRequest: (req) => {
        const delivery = feed.next();
        return { ...req, method: "POST", path, headers: delivery.headers, body: delivery.body };
      },
      onResponse: (status, body) => seen?.note(status, body),
    },
  ];
  const base = { url: job.url, connections: job.connections, pipelining: 1, timeout: 10, requests };
  if (job.warmupSeconds > 0) await autocannon({ ...base, duration: job.warmupSeconds });
  feed.resetCounts();
  const wrappedBefore = feed.wrapped;
  seen = answers();
  send({ type: "measuring" });
  await waitFor("go");
  const result = await autocannon(
    job.amount !== undefined ? { ...base, amount: job.amount } : { ...base, duration: job.seconds },
  );
  const statusCounts: Record<string, number> = {};
  let total = 0;
  for (const [code, { count }] of Object.entries(result.statusCodeStats)) {
    statusCounts[code] = count;
    total += count;
  }
  const l = result.latency;
  return {
    mode: "closed",
    seconds: result.duration,
    requests: total,
    requestsPerSecond: total / result.duration,
    latencyMs: { p50: l.p50, p90: l.p90, p99: l.p99, p99_9: l.p99_9, max: l.max, mean: l.mean },
    statusCounts,
    errors: result.errors,
    timeouts: result.timeouts,
    wrapped: feed.wrapped - wrappedBefore,
    storedIds: seen.storedIds,
    duplicateAnswers: seen.duplicates,
    sentKinds: { ...feed.sentKinds },
  };
}

/**
 * A bounded open-loop sender: request i leaves at start + i/rate whatever happened to the
 * ones before, and its latency is measured from that scheduled time, so a stall shows as
 * queueing instead of being hidden by a closed loop that waits (coordinated omission).
 */
async function openLoop(job: OpenLoopJob, deliveries: readonly Delivery[]): Promise<LoadResult> {
  const feed = createFeed(deliveries);
  const seen = answers();
  const target = new URL(job.url);
  const agent = new Agent({ keepAlive: true, maxSockets: job.maxInFlight });
  const total = Math.round(job.rate * job.seconds);
  const latencies: number[] = [];
  const statusCounts: Record<string, number> = {};
  let errors = 0;
  let timeouts = 0;
  let dropped = 0;
  let inFlight = 0;
  let sent = 0;
  send({ type: "measuring" });
  await waitFor("go");
  const start = performance.now();
  await new Promise<void>((resolve) => {
    const finishIfDone = () => {
      if (sent + dropped === total && inFlight === 0) resolve();
    };
    const fire = (index: number) => {
      const scheduled = start + (index * 1000) / job.rate;
      if (inFlight >= job.maxInFlight) {
        dropped++;
        return;
      }
      const delivery = feed.next();
      inFlight++;
      sent++;
      const req = request(
        {
          agent,
          host: target.hostname,
          port: target.port,
          path: target.pathname,
          method: "POST",
          headers: { ...delivery.headers, "content-length": String(delivery.body.length) },
          timeout: 10_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("end", () => {
            const status = res.statusCode ?? 0;
            statusCounts[status] = (statusCounts[status] ?? 0) + 1;
            if (status >= 200 && status < 300) latencies.push(performance.now() - scheduled);
            seen.note(status, Buffer.concat(chunks).toString("utf8"));
            inFlight--;
            finishIfDone();
          });
        },
      );
      req.on("timeout", () => {
        timeouts++;
        req.destroy(new Error("timeout"));
      });
      req.on("error", () => {
        errors++;
        inFlight--;
        finishIfDone();
      });
      req.end(delivery.body);
    };
    let next = 0;
    const tick = () => {
      const due = Math.min(total, Math.floor(((performance.now() - start) * job.rate) / 1000) + 1);
      while (next < due) fire(next++);
      if (next < total) setTimeout(tick, 1);
      else finishIfDone();
    };
    tick();
  });
  const seconds = (performance.now() - start) / 1000;
  agent.destroy();
  return {
    mode: "open",
    seconds,
    requests: sent,
    requestsPerSecond: sent / seconds,
    offeredRate: job.rate,
    latencyMs: summarize(latencies),
    statusCounts,
    errors,
    timeouts,
    dropped,
    wrapped: feed.wrapped,
    storedIds: seen.storedIds,
    duplicateAnswers: seen.duplicates,
    sentKinds: { ...feed.sentKinds },
  };
}

async function main(): Promise<void> {
  const { job } = (await waitFor("job")) as { type: "job"; job: LoadJob };
  const began = performance.now();
  const deliveries = generateTraffic({ count: job.traffic.pool, ...job.traffic });
  send({
    type: "generated",
    deliveries: deliveries.length,
    bytes: deliveries.reduce((sum, d) => sum + d.body.length, 0),
    ms: Math.round(performance.now() - began),
  });
  const result = job.mode === "closed" ? await closedLoop(job, deliveries) : await openLoop(job, deliveries);
  await send({ type: "result", result });
}

main().then(
  () => process.disconnect?.(),
  async (error: unknown) => {
    await send({ type: "error", message: error instanceof Error ? error.message : String(error) });
    process.exitCode = 1;
    process.disconnect?.();
  },
);
