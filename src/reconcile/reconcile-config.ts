import { parseDuration } from "../config/duration.js";
import { ConfigError, type Env } from "../config/env.js";

/** Scheduled reconcile (`serve`), from the environment. */
export interface ReconcileConfig {
  /** PORTCALL_RECONCILE_EVERY: how often; undefined when reconcile is off. */
  readonly everyMs: number | undefined;
  /** PORTCALL_RECONCILE_OVERLAP: how far before the last checked time each run looks again (default 24h). */
  readonly overlapMs: number;
}

export function loadReconcileConfig(env: Env): ReconcileConfig {
  const problems: string[] = [];
  const read = (name: string, fallback: string | undefined, min: number): number | undefined => {
    const text = env[name]?.trim() || fallback;
    if (text === undefined) return undefined;
    const ms = parseDuration(text);
    if (ms === undefined || ms < min) {
      problems.push(
        `${name}: must be a duration like 90s, 15m, 1h or 2d, at least ${min / 1000}s (got "${text}")`,
      );
    }
    return ms;
  };
  const everyMs = read("PORTCALL_RECONCILE_EVERY", undefined, 1000);
  const overlapMs = read("PORTCALL_RECONCILE_OVERLAP", "24h", 0) ?? 0;
  if (problems.length > 0) throw new ConfigError(problems);
  return { everyMs, overlapMs };
}
