import type { QuarantinedBody, RecordOutcome, VerifiedEvent } from "../core/event-recorder.js";
import { GroupCommitter } from "./group-commit.js";
import type { CommitObserver } from "./store.js";
import { toQuarantineWrite, toRecordWrite, type Write, type WriteResult } from "./writes.js";

export interface GroupCommitOptions {
  readonly maxBatch: number;
  readonly maxInFlight?: number;
  readonly observer?: CommitObserver | undefined;
}

/**
 * The half of a store that is the same for every dialect: each write is queued for a group
 * commit, the observer times every batch, and a closed store takes no more writes. A dialect
 * supplies `commitBatch` (one batch, results in order) and `release` (after the last commit).
 */
export abstract class GroupCommitStore {
  private readonly committer: GroupCommitter<Write, WriteResult>;
  private closed = false;

  constructor(private readonly commitOptions: GroupCommitOptions) {
    this.committer = new GroupCommitter(
      (writes) => this.timedCommit(writes),
      commitOptions.maxBatch,
      commitOptions.maxInFlight ?? 1,
    );
  }

  protected abstract commitBatch(writes: Write[]): Promise<WriteResult[]>;
  protected abstract release(): Promise<void>;

  record(event: VerifiedEvent, receivedAt: Date): Promise<RecordOutcome> {
    return this.write(toRecordWrite("record", event, receivedAt)) as Promise<RecordOutcome>;
  }

  async insertIfAbsent(event: VerifiedEvent, receivedAt: Date): Promise<boolean> {
    return (await this.write(toRecordWrite("insert_if_absent", event, receivedAt))) === "inserted";
  }

  async quarantine(body: QuarantinedBody, receivedAt: Date): Promise<void> {
    await this.write(toQuarantineWrite(body, receivedAt));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.committer.drain();
    await this.release();
  }

  private async write(write: Write): Promise<string> {
    if (this.closed) throw new Error("store is closed");
    const result = await this.committer.submit(write);
    if (!result.ok) throw new Error(result.error);
    return result.outcome;
  }

  private async timedCommit(writes: Write[]): Promise<WriteResult[]> {
    const started = performance.now();
    let ok = false;
    try {
      const results = await this.commitBatch(writes);
      ok = results.every((r) => r.ok);
      return results;
    } finally {
      this.commitOptions.observer?.committed(writes.length, (performance.now() - started) / 1000, ok);
    }
  }
}
