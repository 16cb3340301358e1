import type { EtaEstimateRow } from "../stores/reports.js";

export interface EtaChange {
  readonly event_id: string;
  readonly label: string;
  readonly announced_at: string | null;
  readonly estimated: string | null;
  readonly estimated_at: string;
  /** Seconds later (positive) or earlier than the estimate before it; null for the first. */
  readonly slip_seconds: number | null;
}

export interface EtaSummary {
  readonly kind: "departure" | "arrival";
  readonly changes: readonly EtaChange[];
  readonly first: EtaChange | undefined;
  readonly latest: EtaChange | undefined;
  /** The actual date as the latest event that carried one wrote it. */
  readonly actual: string | null;
  readonly actual_at: string | null;
  /** Actual (or, until then, latest estimate) minus the first promise, in seconds. */
  readonly total_slip_seconds: number | null;
}

/**
 * The rows of flexport_eta_history from the per-event rows of flexport_eta_estimates (the
 * same rule as the view: an estimate that differs, as an instant, from the previous one),
 * so the dashboard reads a shipment's events by index instead of the whole view.
 */
export function summariseEta(
  estimates: readonly EtaEstimateRow[],
  kind: "departure" | "arrival",
): EtaSummary {
  const rows = estimates
    .filter((r) => r.kind === kind)
    .sort(
      (a, b) =>
        compareText(a.announced_at, b.announced_at) ||
        a.event_id.length - b.event_id.length ||
        compareText(a.event_id, b.event_id),
    );
  const changes: EtaChange[] = [];
  let previous: string | null = null;
  let actual: string | null = null;
  let actualAt: string | null = null;
  for (const row of rows) {
    if (row.actual_at !== null) {
      actual = row.actual;
      actualAt = row.actual_at;
    }
    if (row.estimated_at === null) continue;
    if (previous === null || Date.parse(previous) !== Date.parse(row.estimated_at)) {
      changes.push({
        event_id: row.event_id,
        label: row.label,
        announced_at: row.announced_at,
        estimated: row.estimated,
        estimated_at: row.estimated_at,
        slip_seconds: previous === null ? null : seconds(row.estimated_at, previous),
      });
    }
    previous = row.estimated_at;
  }
  const first = changes[0];
  const latest = changes.at(-1);
  const end = actualAt ?? latest?.estimated_at;
  return {
    kind,
    changes,
    first,
    latest,
    actual,
    actual_at: actualAt,
    total_slip_seconds: first === undefined || end === undefined ? null : seconds(end, first.estimated_at),
  };
}

function seconds(later: string, earlier: string): number {
  return Math.round((Date.parse(later) - Date.parse(earlier)) / 1000);
}

function compareText(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return a < b ? -1 : 1;
}
