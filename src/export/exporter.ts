import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "pino";
import { type ExportEvent, type ExportSink, errorMessage } from "../sinks/export-sink.js";
import type { ClaimedItem, DeliveryFailure, Outbox } from "../stores/outbox.js";

export interface ExporterOptions {
  readonly outbox: Outbox;
  readonly sinks: readonly ExportSink[];
  readonly logger?: Pick<Logger, "info" | "warn" | "error">;
  /** Events per delivery (PORTCALL_EXPORT_BATCH_SIZE); default 200. */
  readonly batchSize?: number;
  /** Pause when a sink has nothing due (PORTCALL_EXPORT_POLL_MS); default 1000. */
  readonly pollMs?: number;
  /** How long a claimed batch is reserved before another exporter may take it; default 5 min. */
  readonly leaseMs?: number;
  /** First retry delay (PORTCALL_EXPORT_RETRY_BASE_MS); default 1000. */
  readonly retryBaseMs?: number;
  /** Longest retry delay (PORTCALL_EXPORT_RETRY_MAX_MS); default 5 min. */
  readonly retryMaxMs?: number;
  /**
   * Attempts a sink gets for an event it rejects as invalid before the event becomes a dead
   * letter (PORTCALL_EXPORT_MAX_ATTEMPTS); default 5. Failures of the sink itself (an outage,
   * a thrown error) are retried without limit.
   */
  readonly maxAttempts?: number;
  readonly random?: () => number;
  /** Longest wait in stop() for deliveries in flight; default 10 s. */
  readonly stopTimeoutMs?: number;
}

export interface Exporter {
  start(): void;
  /**
   * Lets the batches in flight finish (for at most `stopTimeoutMs`), then stops; rows not
   * yet delivered stay queued, and a batch abandoned mid-flight comes back after its lease.
   */
  stop(): Promise<void>;
  /** One claim-deliver-record round for every sink; returns how many events were handled. */
  runOnce(): Promise<number>;
}

/**
 * Exponential backoff with "equal jitter": half the delay is fixed, half random, so a sink
 * that comes back is not hit by every waiting event at the same instant.
 * https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/
 */
export function retryDelayMs(attempts: number, baseMs: number, maxMs: number, random: () => number): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempts, 30));
  return ceiling / 2 + (random() * ceiling) / 2;
}

/**
 * Copies committed events to their sinks in the background, one loop per sink, so a slow
 * or failing sink holds back neither the others nor the webhook path (which only commits).
 */
export function createExporter(options: ExporterOptions): Exporter {
  const batchSize = options.batchSize ?? 200;
  const pollMs = options.pollMs ?? 1000;
  const leaseMs = options.leaseMs ?? 300_000;
  const baseMs = options.retryBaseMs ?? 1000;
  const maxMs = options.retryMaxMs ?? 300_000;
  const defaultMaxAttempts = options.maxAttempts ?? 5;
  const random = options.random ?? Math.random;
  const log = options.logger;
  let running = false;
  let loops: Promise<void>[] = [];
  let stopping = new AbortController();

  /** Claims, delivers and records one batch; returns how many rows it claimed and delivered. */
  async function round(sink: ExportSink): Promise<{ claimed: number; delivered: number }> {
    const claimed = await options.outbox.claim(sink.name, batchSize, sink.leaseMs ?? leaseMs, {
      ordered: sink.ordered === true,
    });
    if (claimed.length === 0) return { claimed: 0, delivered: 0 };
    const present = claimed.filter((c): c is ClaimedItem & { event: ExportEvent } => c.event !== undefined);
    // An outbox row whose event no longer exists has nothing left to deliver.
    const done = claimed.filter((c) => c.event === undefined).map((c) => c.eventId);
    const failures: DeliveryFailure[] = [];
    const maxAttempts = sink.maxAttempts ?? defaultMaxAttempts;
    const fail = (item: ClaimedItem, error: string, invalid = false) =>
      failures.push({
        eventId: item.eventId,
        error,
        retryAt: new Date(Date.now() + retryDelayMs(item.attempts, baseMs, maxMs, random)),
        // attempts counts earlier failures; this one is attempt attempts + 1.
        dead: invalid && item.attempts + 1 >= maxAttempts,
      });
    if (present.length > 0) {
      try {
        const results = await sink.deliver(present.map((c) => c.event));
        present.forEach((item, i) => {
          const result = results[i];
          if (result?.ok) done.push(item.eventId);
          else if (result === undefined) fail(item, "no result from sink");
          else if ("deferred" in result)
            failures.push({
              eventId: item.eventId,
              error: result.error,
              retryAt: new Date(),
              deferred: true,
            });
          else fail(item, result.error, "invalid" in result && result.invalid === true);
        });
      } catch (error) {
        for (const item of present) fail(item, errorMessage(error));
      }
    }
    await options.outbox.complete(sink.name, done);
    await options.outbox.fail(sink.name, failures);
    const dead = failures.filter((f) => f.dead);
    if (failures.length > dead.length) {
      log?.warn(
        {
          sink: sink.name,
          failed: failures.length - dead.length,
          delivered: done.length,
          error: failures.find((f) => !f.dead)?.error,
        },
        "export: delivery failed; will retry",
      );
    }
    if (dead.length > 0) {
      log?.error(
        {
          sink: sink.name,
          deadLetters: dead.map((f) => f.eventId),
          attempts: maxAttempts,
          error: dead[0]?.error,
        },
        "export: rejected as invalid on every attempt; kept as dead letters (portcall export retry --dead)",
      );
    }
    return { claimed: claimed.length, delivered: done.length };
  }

  async function loop(sink: ExportSink): Promise<void> {
    let errorPause = pollMs;
    while (running) {
      // Straight on while full batches go through; pause when idle or when the sink failed
      // the whole batch (its rows wait out their own backoff, the loop waits a poll).
      let busy = false;
      try {
        const { claimed, delivered } = await round(sink);
        busy = claimed === batchSize && delivered > 0;
        errorPause = pollMs;
      } catch (error) {
        // The database itself failed (claim or bookkeeping); leases make this safe to retry.
        log?.error({ sink: sink.name, error: errorMessage(error) }, "export: outbox unavailable");
        errorPause = Math.min(errorPause * 2, 30_000);
      }
      if (!busy && running) await pause(errorPause);
    }
  }

  /** Sleeps, cut short by stop(). */
  async function pause(ms: number): Promise<void> {
    await sleep(ms, undefined, { signal: stopping.signal }).catch(() => undefined);
  }

  return {
    start() {
      if (running) return;
      running = true;
      stopping = new AbortController();
      log?.info({ sinks: options.sinks.map((s) => `${s.name} -> ${s.target}`) }, "export: started");
      loops = options.sinks.map((sink) => loop(sink));
    },
    async stop() {
      running = false;
      stopping.abort();
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          log?.warn(
            { timeoutMs: options.stopTimeoutMs ?? 10_000 },
            "export: stopped with deliveries in flight",
          );
          resolve();
        }, options.stopTimeoutMs ?? 10_000);
      });
      await Promise.race([Promise.all(loops), timeout]);
      clearTimeout(timer);
      loops = [];
    },
    async runOnce() {
      let total = 0;
      for (const sink of options.sinks) total += (await round(sink)).claimed;
      return total;
    },
  };
}
