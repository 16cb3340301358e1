/**
 * Lets one holder through at a time, in arrival order. Used for large bodies: decoding,
 * parsing and handing an 8 MiB event to the store costs several copies of it, so a burst of
 * them processed together would multiply peak memory; one after another, it stays bounded.
 */
export class OneAtATime {
  private tail: Promise<void> = Promise.resolve();

  /**
   * @param settle runs after each holder, before the next one is let through; it calls
   *   `release` when done (the server collects a large body's garbage there).
   */
  constructor(private readonly settle?: (release: () => void) => void) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    const previous = this.tail;
    let release!: () => void;
    this.tail = new Promise((resolve) => {
      release = resolve;
    });
    await previous;
    try {
      return await task();
    } finally {
      if (this.settle === undefined) release();
      else this.settle(release);
    }
  }
}
