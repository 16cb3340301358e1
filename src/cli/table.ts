/**
 * Display widths come from string-width, loaded by loadDisplayWidths() before a command that
 * prints runs (main.ts): importing it builds an Intl.Segmenter, whose first construction
 * loads ICU's break data (tens of ms), and `serve` prints no table.
 */
let measure: ((text: string) => number) | undefined;
let graphemes: Intl.Segmenter | undefined;

export async function loadDisplayWidths(): Promise<void> {
  measure ??= (await import("string-width")).default;
  graphemes ??= new Intl.Segmenter(undefined, { granularity: "grapheme" });
}

function stringWidth(text: string): number {
  if (measure === undefined) throw new Error("loadDisplayWidths() was not awaited");
  return measure(text);
}

/**
 * C0 and C1 controls, DEL, and the Unicode controls that reorder text (bidi overrides and
 * isolates). Stored values come from suppliers' shipment, product and place names; printed
 * raw, `\u001b]0;…\u0007` retitles the operator's terminal and `\u001b[2J` clears it.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** Text safe to print to a terminal: every control character shown as its \uXXXX escape. */
export function printable(text: string): string {
  return text.replace(CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** Options of formatTable. */
export interface TableOptions {
  /** Display columns each line may take; cells are cut with "…" to fit. Undefined: no limit. */
  readonly maxWidth?: number | undefined;
}

/** The terminal's width when stdout is one; a pipe or a file gets the full values. */
export function terminalWidth(): number | undefined {
  return process.stdout.isTTY ? process.stdout.columns : undefined;
}

const GAP = 2;
/** No column is cut below this (or its heading), so a cut cell still says something. */
const MIN_CUT_WIDTH = 6;

/**
 * Renders rows as an aligned plain-text table for people; scripts use --json instead.
 * Widths are display widths (CJK and emoji take two columns); on a terminal, the widest
 * columns give way first until each line fits.
 */
export function formatTable(
  columns: readonly string[],
  rows: readonly (readonly unknown[])[],
  options: TableOptions = { maxWidth: terminalWidth() },
): string {
  const headings = columns.map((c) => c.toUpperCase());
  const cells = rows.map((row) =>
    row.map((cell) => (cell === null || cell === undefined ? "-" : printable(String(cell)))),
  );
  const widths = headings.map((heading, i) =>
    Math.max(stringWidth(heading), ...cells.map((row) => stringWidth(row[i] ?? ""))),
  );
  if (options.maxWidth !== undefined) shrink(widths, headings, options.maxWidth);
  const line = (values: readonly string[]) =>
    values
      .map((value, i) => {
        const width = widths[i] ?? 0;
        const cut = cutToWidth(value, width);
        return i === values.length - 1 ? cut : cut + " ".repeat(Math.max(0, width - stringWidth(cut)));
      })
      .join(" ".repeat(GAP))
      .trimEnd();
  return [line(headings), ...cells.map(line)].join("\n");
}

function shrink(widths: number[], headings: readonly string[], maxWidth: number): void {
  const floor = headings.map((h) => Math.max(stringWidth(h), MIN_CUT_WIDTH));
  let total = widths.reduce((sum, w) => sum + w, 0) + GAP * (widths.length - 1);
  while (total > maxWidth) {
    let widest = -1;
    for (let i = 0; i < widths.length; i++) {
      const w = widths[i] as number;
      if (w > (floor[i] as number) && (widest < 0 || w > (widths[widest] as number))) widest = i;
    }
    if (widest < 0) return; // every column is at its floor: the line stays too long
    widths[widest] = (widths[widest] as number) - 1;
    total--;
  }
}

function cutToWidth(text: string, width: number): string {
  if (stringWidth(text) <= width) return text;
  let out = "";
  let used = 0;
  for (const { segment } of (graphemes as Intl.Segmenter).segment(text)) {
    const w = stringWidth(segment);
    if (used + w > width - 1) break;
    out += segment;
    used += w;
  }
  return `${out}…`;
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
  /** A line under the table (not in --json), e.g. how many rows were left out. */
  readonly footer?: string;
  /** What --json prints; the rows themselves by default. */
  readonly jsonOf?: (rows: readonly Row[]) => unknown;
}

/** The list commands' one output rule: JSON for scripts, else a table, or a line saying there is none. */
export function printRows<Row>(rows: readonly Row[], view: RowsView<Row>): void {
  if (view.json) printJson(view.jsonOf === undefined ? rows : view.jsonOf(rows));
  else if (rows.length === 0) process.stdout.write(`${view.empty}\n`);
  else {
    const footer = view.footer === undefined ? "" : `${view.footer}\n`;
    process.stdout.write(`${formatTable(view.columns, rows.map(view.cells))}\n${footer}`);
  }
}
