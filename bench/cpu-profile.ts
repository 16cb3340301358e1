import { readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";

/** The parts of a V8 .cpuprofile (what `node --cpu-prof` writes) used here. */
interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface SelfTimeEntry {
  readonly function: string;
  readonly where: string;
  readonly selfMs: number;
  /** Share of the busy (non-idle) samples: the profile also spans start-up and idle waits. */
  readonly percentOfBusy: number;
}

export interface ProfileSummary {
  readonly file: string;
  readonly totalMs: number;
  readonly busyMs: number;
  readonly top: SelfTimeEntry[];
}

/**
 * Self time by function: each sample is charged its time delta to the node it landed in,
 * then nodes are grouped by (function, script, line), so a function reached by many call
 * paths appears once, as in a flame graph's "bottom-up" view.
 */
export function summarizeProfile(file: string, limit = 20): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  const frameOf = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  const selfUs = new Map<string, number>();
  let total = 0;
  for (const [i, nodeId] of profile.samples.entries()) {
    const delta = profile.timeDeltas[i] ?? 0;
    const frame = frameOf.get(nodeId);
    const key = frame
      ? `${frame.functionName || "(anonymous)"}\u0000${shortUrl(frame.url)}${frame.url ? `:${frame.lineNumber + 1}` : ""}`
      : "(unknown)\u0000";
    selfUs.set(key, (selfUs.get(key) ?? 0) + delta);
    total += delta;
  }
  const busy = total - (selfUs.get("(idle)\u0000") ?? 0);
  const top = [...selfUs.entries()]
    .filter(([key]) => key !== "(idle)\u0000")
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([key, us]) => {
      const [fn = "", where = ""] = key.split("\u0000");
      return {
        function: fn,
        where,
        selfMs: Math.round(us / 100) / 10,
        percentOfBusy: busy > 0 ? Math.round((us / busy) * 1000) / 10 : 0,
      };
    });
  return { file: basename(file), totalMs: Math.round(total / 1000), busyMs: Math.round(busy / 1000), top };
}

/** Paths shortened to what identifies them: node_modules/<pkg>/…, dist/…, node:… */
function shortUrl(url: string): string {
  const modules = url.lastIndexOf("node_modules/");
  if (modules >= 0) return url.slice(modules);
  const dist = url.indexOf("/dist/");
  if (dist >= 0) return url.slice(dist + 1);
  return url;
}

export function profilesIn(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith(".cpuprofile"))
    .sort()
    .map((name) => join(dir, name));
}

export function formatProfile(summary: ProfileSummary): string {
  const lines = [`${summary.file} (${summary.totalMs} ms sampled, ${summary.busyMs} ms busy; % of busy)`];
  for (const entry of summary.top) {
    lines.push(
      `  ${entry.percentOfBusy.toFixed(1).padStart(5)}%  ${String(entry.selfMs).padStart(8)} ms  ${entry.function}  ${entry.where}`,
    );
  }
  return lines.join("\n");
}
