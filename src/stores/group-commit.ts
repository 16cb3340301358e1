/**
 * Collects writes that arrive while a commit is in flight and commits them together, so
 * the cost of one fsync (or one round trip) is shared by every request waiting on it.
 * At low load a write is flushed on the next turn of the event loop, alone; under load
 * batches grow by themselves up to `maxBatch`. Batch size follows load with no timer.
 *
 * `maxInFlight` commits may run at once. One (the default) suits a single writer such as
 * SQLite's; a database server gains from more, because the next batch is encoded and sent
 * while the server still works on the previous one, and with a single commit in flight a
 * delivery arriving just after a commit starts waits for two.
 */
export class GroupCommitter<Item, Result> {
  private queue: { item: Item; resolve: (r: Result) => void; reject: (e: unknown) => void }[] = [];
  private inFlight = 0;
  private scheduled = false;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly commit: (items: Item[]) => Promise<Result[]>,
    private readonly maxBatch: number,
    private readonly maxInFlight = 1,
  ) {
    if (!Number.isInteger(maxInFlight) || maxInFlight < 1) throw new Error("maxInFlight must be ≥ 1");
  }

  submit(item: Item): Promise<Result> {
    return new Promise((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.schedule();
    });
  }

  /** Resolves once everything submitted so far has been committed or failed. */
  drain(): Promise<void> {
    if (this.inFlight === 0 && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  get pending(): number {
    return this.queue.length;
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.maxInFlight) return;
    this.scheduled = true;
    // setImmediate rather than a microtask: requests parsed in the same I/O phase join.
    setImmediate(() => {
      this.scheduled = false;
      this.startBatches();
    });
  }

  private startBatches(): void {
    while (this.inFlight < this.maxInFlight && this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      this.inFlight++;
      void this.run(batch);
    }
  }

  private async run(batch: typeof this.queue): Promise<void> {
    try {
      const results = await this.commit(batch.map((entry) => entry.item));
      batch.forEach((entry, i) => {
        const result = results[i];
        if (result === undefined) entry.reject(new Error("commit returned too few results"));
        else entry.resolve(result);
      });
    } catch (error) {
      for (const entry of batch) entry.reject(error);
    }
    this.inFlight--;
    // What queued up during this commit goes at once: it has already waited one commit.
    this.startBatches();
    if (this.inFlight === 0 && this.queue.length === 0) {
      for (const wake of this.idleWaiters.splice(0)) wake();
    }
  }
}
