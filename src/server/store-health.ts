import type { Logger } from "pino";

/**
 * Remembers whether the store is failing so that an outage is logged once when it starts
 * and once when it ends, not once per request while Flexport keeps retrying.
 */
export class StoreHealth {
  private failingSince: number | undefined;
  private suppressed = 0;

  constructor(private readonly logger: Logger) {}

  failed(reason: string): void {
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
