/** A one-line progress indicator: redrawn in place on a terminal, an occasional plain line otherwise. */
export interface ProgressLine {
  /** Cheap: the text is built and written at most once per interval. */
  update(render: () => string): void;
  /** Writes the final state and ends the line. */
  done(text: string): void;
}

export interface ProgressLineOptions {
  readonly stream?: NodeJS.WriteStream;
  /** Redraw interval on a terminal. */
  readonly ttyIntervalMs?: number;
  /** Interval between plain lines when stderr is a file or pipe (logs stay short). */
  readonly plainIntervalMs?: number;
}

export function createProgressLine(options: ProgressLineOptions = {}): ProgressLine {
  const stream = options.stream ?? process.stderr;
  const tty = stream.isTTY === true;
  const interval = tty ? (options.ttyIntervalMs ?? 100) : (options.plainIntervalMs ?? 10_000);
  let last = Date.now();
  let drawn = false;
  return {
    update(render) {
      const now = Date.now();
      if (now - last < interval) return;
      last = now;
      // \r + erase-to-end-of-line: redraw without scrolling.
      stream.write(tty ? `\r${render()}\x1b[K` : `${render()}\n`);
      drawn = tty;
    },
    done(text) {
      stream.write(tty && drawn ? `\r${text}\x1b[K\n` : `${text}\n`);
    },
  };
}
