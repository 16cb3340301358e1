import { CATALOGUE, type EventType } from "./catalogue.js";

/** Marks the rendered catalogue in a .sql file, so a test (and `writeCatalogueSql`) can find it. */
export const BEGIN_MARKER =
  "-- BEGIN catalogue (rendered from src/milestones/catalogue.ts; do not edit by hand)";
export const END_MARKER = "-- END catalogue";

// Standard SQL doubles a quote; BigQuery escapes it with a backslash.
const standardString = (value: string) => `'${value.replaceAll("'", "''")}'`;
const bigQueryString = (value: string) => `'${value.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`;

function tuple(entry: EventType, quote: (value: string) => string): string {
  const effect = entry.effect === null ? "NULL" : quote(entry.effect);
  return `(${quote(entry.type)}, ${quote(entry.label)}, ${quote(entry.category)}, ${effect})`;
}

/** The INSERT that fills `flexport_event_types` (the same text for SQLite and PostgreSQL). */
export function catalogueInsertSql(entries: readonly EventType[] = CATALOGUE): string {
  const rows = entries.map((entry) => `  ${tuple(entry, standardString)}`).join(",\n");
  return `INSERT INTO flexport_event_types (type, label, category, effect) VALUES\n${rows};`;
}

/** The catalogue as the element list of a BigQuery ARRAY<STRUCT<...>> literal. */
export function catalogueBigQueryRows(entries: readonly EventType[] = CATALOGUE): string {
  return entries.map((entry) => `    ${tuple(entry, bigQueryString)}`).join(",\n");
}

/** The text between the markers in `sql`, or undefined when the markers are missing. */
export function renderedBlock(sql: string): string | undefined {
  const begin = sql.indexOf(BEGIN_MARKER);
  const end = sql.indexOf(END_MARKER);
  if (begin < 0 || end < begin) return undefined;
  return sql.slice(sql.indexOf("\n", begin) + 1, sql.lastIndexOf("\n", end));
}

/** `sql` with the text between the markers replaced by `block`. */
export function replaceBlock(sql: string, block: string): string {
  const begin = sql.indexOf(BEGIN_MARKER);
  const end = sql.indexOf(END_MARKER);
  if (begin < 0 || end < begin) throw new Error(`no "${BEGIN_MARKER}" … "${END_MARKER}" block`);
  return `${sql.slice(0, sql.indexOf("\n", begin) + 1)}${block}${sql.slice(sql.lastIndexOf("\n", end))}`;
}
