import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

/**
 * Bodies and payloads above this size are "large": the server reads and delivers them one at
 * a time, and every thread that handled one collects its garbage right after.
 */
export const LARGE_PAYLOAD_BYTES = 1024 * 1024;

// Why collect by hand: each large event leaves tens of megabytes of garbage in every thread
// that touched it (its bytes, its decoded text, its parse tree, the copy sent to the writer
// thread and the one read back by the dashboard's fold). V8 puts anything over ~128 KiB in
// its large-object space, which only a full collection frees, and starts one when the old
// generation reaches a limit that on a machine with plenty of memory is hundreds of
// megabytes. Measured with eight 8 MiB events: the server's resident memory grew by ~35 MB
// per event and stayed there. Large events are rare, and a full collection of these small
// heaps takes milliseconds against the ~100 ms of work such an event costs.

let collector: (() => void) | null | undefined;

/** V8's own `gc()`, exposed for this thread (the flag is process-wide, the function per isolate). */
function fullCollection(): (() => void) | null {
  if (collector !== undefined) return collector;
  try {
    setFlagsFromString("--expose-gc");
    const gc: unknown = runInNewContext("gc");
    collector = typeof gc === "function" ? (gc as () => void) : null;
  } catch {
    collector = null;
  }
  return collector;
}

let scheduled = false;

/**
 * Collects this thread's garbage once what is running now has finished (an answer already
 * sent, a reply already posted). Several calls before then collect once.
 */
export function collectAfterLargePayload(then?: () => void): void {
  const collect = fullCollection();
  if (collect === null) {
    then?.();
    return;
  }
  if (scheduled) {
    if (then !== undefined) setImmediate(then);
    return;
  }
  scheduled = true;
  setImmediate(() => {
    scheduled = false;
    try {
      collect();
    } finally {
      then?.();
    }
  });
}
