import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** What a backfill asked for; a saved state only resumes the very same query. */
export interface BackfillQueryKey {
  readonly apiUrl: string;
  readonly since: string;
  readonly until: string | null;
  readonly type: string | null;
}

export interface TypeCounts {
  fetched: number;
  present: number;
  missing: number;
}

export interface MissingEvent {
  readonly id: string;
  readonly type: string;
  readonly occurred_at: string | null;
}

/** Progress after the last fully stored page: enough to continue without refetching it. */
export interface BackfillProgress {
  /** The URL of the next page to fetch; null once the last page is done. */
  next: string | null;
  pages: number;
  fetched: number;
  present: number;
  missing: number;
  invalid: number;
  outside: number;
  by_type: Record<string, TypeCounts>;
  missing_events: MissingEvent[];
}

interface StateFile {
  readonly query: BackfillQueryKey;
  readonly progress: BackfillProgress;
  readonly updated_at: string;
}

export interface BackfillState {
  readonly path: string;
  /** The saved progress of an interrupted run of this query, if any. */
  load(): BackfillProgress | undefined;
  save(progress: BackfillProgress): void;
  /** Called once the last page is stored. */
  remove(): void;
}

/** One file per query in the data folder: `backfill-<hash of the query>.json`. */
export function createBackfillState(dataDir: string, query: BackfillQueryKey): BackfillState {
  const key = createHash("sha256")
    .update(JSON.stringify([query.apiUrl, query.since, query.until, query.type]))
    .digest("hex")
    .slice(0, 16);
  const path = join(dataDir, `backfill-${key}.json`);
  return {
    path,
    load() {
      let file: StateFile;
      try {
        file = JSON.parse(readFileSync(path, "utf8")) as StateFile;
      } catch {
        return undefined;
      }
      const same = JSON.stringify(file.query) === JSON.stringify(query);
      return same && typeof file.progress?.next === "string" ? file.progress : undefined;
    },
    save(progress) {
      mkdirSync(dataDir, { recursive: true });
      const file: StateFile = { query, progress, updated_at: new Date().toISOString() };
      const temporary = `${path}.${process.pid}.tmp`;
      writeFileSync(temporary, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
      renameSync(temporary, path);
    },
    remove() {
      rmSync(path, { force: true });
    },
  };
}
