import { readFileSync } from "node:fs";
import { isNode, LineCounter, parseDocument } from "yaml";
import type * as z from "zod";
import { ConfigError } from "./config.js";

/**
 * The configuration file (`PORTCALL_CONFIG`, YAML or JSON) holds what does not fit in
 * environment variables: named sources, destinations, alert rules. Each feature owns the
 * zod schema of its section (see config-file-schema.ts); this module only reads the file
 * and turns every problem into a message naming the file, line, column and field, so an
 * operator can go straight to the mistake.
 *
 * JSON is read by the same YAML 1.2 parser (JSON is a subset of it), so both formats get
 * the same line numbers and messages.
 */
export function parseConfigFile<T>(text: string, fileName: string, schema: z.ZodType<T>): T {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  const at = (offset: number | undefined): string => {
    if (offset === undefined) return fileName;
    const { line, col } = lineCounter.linePos(offset);
    return `${fileName}:${line}:${col}`;
  };

  if (document.errors.length > 0) {
    throw new ConfigError(document.errors.map((error) => `${at(error.pos[0])}: ${firstLine(error.message)}`));
  }
  const value: unknown = document.toJS({ maxAliasCount: 100 }) ?? {};
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;

  throw new ConfigError(
    parsed.error.issues.map((issue) => {
      const path = issue.path.map((p) => (typeof p === "symbol" ? String(p) : p));
      const field = path.length === 0 ? "(top level)" : path.join(".");
      return `${at(offsetOf(document, path))} ${field}: ${issue.message}`;
    }),
  );
}

/** Reads and validates the file PORTCALL_CONFIG names; a missing or unreadable file names the variable. */
export function loadConfigFile<T>(path: string, schema: z.ZodType<T>): T {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "error";
    throw new ConfigError([`PORTCALL_CONFIG: cannot read ${path} (${code})`]);
  }
  return parseConfigFile(text, path, schema);
}

/**
 * Adds the file, line and column to problems that a later check (one needing the
 * environment or other sections) found in the file's values, e.g. `rules.0.to: …`.
 * Problems that name no section of the file (an environment variable) are left as they are.
 */
export function locateProblems(path: string, problems: readonly string[]): string[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return [...problems];
  }
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  return problems.map((problem) => {
    const field = /^([A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*): /.exec(problem)?.[1];
    if (field === undefined) return problem;
    const fieldPath = field.split(".").map((p) => (/^\d+$/.test(p) ? Number(p) : p));
    if (!document.has(fieldPath[0])) return problem;
    const offset = offsetOf(document, fieldPath);
    if (offset === undefined) return `${path} ${problem}`;
    const { line, col } = lineCounter.linePos(offset);
    return `${path}:${line}:${col} ${problem}`;
  });
}

/**
 * Where the node at `path` starts, or its nearest existing parent (a missing field is
 * reported at the mapping that should hold it).
 */
function offsetOf(
  document: ReturnType<typeof parseDocument>,
  path: readonly (string | number)[],
): number | undefined {
  for (let length = path.length; length >= 0; length -= 1) {
    const node = length === 0 ? document.contents : document.getIn(path.slice(0, length), true);
    if (isNode(node) && node.range) return node.range[0];
  }
  return undefined;
}

function firstLine(message: string): string {
  return message.split("\n")[0] ?? message;
}
