/** ISO-8601 UTC text for a timestamp as a driver returns it (pg: Date; SQLite: text already). */
export function isoText(value: Date | string | null): string | null {
  return value instanceof Date ? value.toISOString() : value;
}

/**
 * A database row as plain JSON values, as every store reports them: timestamps as ISO-8601
 * text (pg returns timestamptz as Date) and the named 0/1 columns as booleans (SQLite has none).
 */
export function plainRow<T>(row: Record<string, unknown>, booleans: readonly string[] = []): T {
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) {
    copy[key] = value instanceof Date ? value.toISOString() : value;
  }
  for (const key of booleans) {
    if (typeof copy[key] === "number") copy[key] = copy[key] === 1;
  }
  return copy as T;
}
