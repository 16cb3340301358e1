/** Renders rows as an aligned plain-text table for people; scripts use --json instead. */
export function formatTable(columns: readonly string[], rows: readonly (readonly unknown[])[]): string {
  const cells = rows.map((row) =>
    row.map((cell) => (cell === null || cell === undefined ? "-" : String(cell))),
  );
  const widths = columns.map((column, i) =>
    Math.max(column.length, ...cells.map((row) => row[i]?.length ?? 0)),
  );
  const line = (values: readonly string[]) =>
    values
      .map((value, i) => (i === values.length - 1 ? value : value.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  return [line(columns.map((c) => c.toUpperCase())), ...cells.map(line)].join("\n");
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** "Los Angeles, CA (USLAX)", or whichever part is known. */
export function placeText(name: string | null, code: string | null): string | null {
  if (name !== null && code !== null) return `${name} (${code})`;
  return name ?? code;
}

/** How a list command shows its rows to people (scripts get the rows as JSON). */
export interface RowsView<Row> {
  readonly json: boolean | undefined;
  /** The line printed instead of an empty table. */
  readonly empty: string;
  readonly columns: readonly string[];
  readonly cells: (row: Row) => readonly unknown[];
  /** What --json prints; the rows themselves by default. */
  readonly jsonOf?: (rows: readonly Row[]) => unknown;
}

/** The list commands' one output rule: JSON for scripts, else a table, or a line saying there is none. */
export function printRows<Row>(rows: readonly Row[], view: RowsView<Row>): void {
  if (view.json) printJson(view.jsonOf === undefined ? rows : view.jsonOf(rows));
  else if (rows.length === 0) process.stdout.write(`${view.empty}\n`);
  else process.stdout.write(`${formatTable(view.columns, rows.map(view.cells))}\n`);
}
