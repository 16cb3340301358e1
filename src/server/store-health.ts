import type { Logger } from "pino";

/**
 * Remembers whether the store is failing so that an outage is logged once when it starts
 * and once when it ends, not once per request while Flexport keeps retrying.
 *
 * Every observation carries the moment its operation started, and only an operation that
 * started after the last change of state may change it again. Writes are group-committed
 * several at a time, so when the database goes away one batch can fail while another,
 * already committed just before, is still being answered: that late success says nothing
 * about the database now, and taking it for a recovery logged every outage twice. The same
 * holds the other way for a write that started during the outage and fails after recovery.
 */
export class StoreHealth {
  private failingSince: number | undefined;
  /** When the state last changed (failing or recovered); earlier operations cannot change it. */
  private changedAt = Number.NEGATIVE_INFINITY;
  private lastFailureAt = Number.NEGATIVE_INFINITY;
  private suppressed = 0;

  constructor(
    private readonly logger: Logger,
    /** Milliseconds on a monotonic clock; the callers' `startedAt` values use the same one. */
    readonly now: () => number = () => performance.now(),
  ) {}

  /**
   * True while a write failed less than `ms` ago and none has succeeded since: a probe can
   * pass while deliveries still fail (a nearly full disk has room for the probe only).
   */
  failedWithin(ms: number): boolean {
    return this.failingSince !== undefined && this.now() - this.lastFailureAt < ms;
  }

  /** An operation started at `startedAt` failed because the store is unavailable. */
  failed(reason: string, startedAt: number): void {
    if (this.failingSince !== undefined) {
      this.lastFailureAt = this.now();
      this.suppressed++;
      return;
    }
    // Began before the store was last seen to recover: a leftover of the outage just ended.
    if (startedAt < this.changedAt) return;
    const now = this.now();
    this.failingSince = now;
    this.changedAt = now;
    this.lastFailureAt = now;
    this.logger.error({ reason }, "store unavailable: answering 503 until it recovers");
  }

  /** An operation started at `startedAt` succeeded. */
  succeeded(startedAt: number): void {
    if (this.failingSince === undefined || startedAt < this.changedAt) return;
    const now = this.now();
    this.logger.warn(
      { downMs: Math.round(now - this.failingSince), failedRequests: this.suppressed + 1 },
      "store recovered",
    );
    this.failingSince = undefined;
    this.changedAt = now;
    this.suppressed = 0;
  }
}
