import type { Logger } from "pino";

/**
 * Remembers whether the store is failing so that an outage is logged once when it starts
 * and once when it ends, not once per request while Flexport keeps retrying.
 */
export class StoreHealth {
  private failingSince: number | undefined;
  private lastFailureAt = 0;
  private suppressed = 0;

  constructor(private readonly logger: Logger) {}

  /**
   * True while a write failed less than `ms` ago and none has succeeded since: a probe can
   * pass while deliveries still fail (a nearly full disk has room for the probe only).
   */
  failedWithin(ms: number): boolean {
    return this.failingSince !== undefined && Date.now() - this.lastFailureAt < ms;
  }

  failed(reason: string): void {
    this.lastFailureAt = Date.now();
    if (this.failingSince === undefined) {
      this.failingSince = Date.now();
      this.logger.error({ reason }, "store unavailable: answering 503 until it recovers");
    } else {
      this.suppressed++;
    }
  }

  succeeded(): void {
    if (this.failingSince === undefined) return;
    this.logger.warn(
      { downMs: Date.now() - this.failingSince, failedRequests: this.suppressed + 1 },
      "store recovered",
    );
    this.failingSince = undefined;
    this.suppressed = 0;
  }
}
