/**
 * Returns the raw source text of a top-level member's value in a JSON object, or undefined
 * when the object has no such member. The text must already be known to be valid JSON
 * (JSON.parse accepted it); like JSON.parse, the last of duplicated keys wins.
 *
 * Why: JSON.parse turns `{"id": 9007199254740993}` into 9007199254740992, and the event id
 * is our deduplication key. Node 20 has no JSON.parse source-text access, so we read the
 * token ourselves, skipping nested values without building them.
 */
export function rawTopLevelMember(json: string, key: string): string | undefined {
  let found: string | undefined;
  walkTopLevel(json, (name, start, end) => {
    if (name === key) found = json.slice(start, end);
    return false;
  });
  return found;
}

/** [start, end) of a top-level member's value in the source text (the last, as JSON.parse), or undefined. */
export function topLevelMemberSpan(json: string, key: string): readonly [number, number] | undefined {
  let span: [number, number] | undefined;
  walkTopLevel(json, (name, start, end) => {
    if (name === key) span = [start, end];
    return false;
  });
  return span;
}

export interface TopLevelScan {
  /** The raw source text of each wanted member's value (absent members are missing). */
  readonly raw: Partial<Record<string, string>>;
  /** The first wanted member found twice; the scan stops there. */
  readonly duplicate: string | undefined;
}

/**
 * One pass over the top-level members of a valid JSON object: the raw value text of each
 * member in `wanted`, and the first of them that appears twice. JSON.parse keeps the last
 * of duplicated names, SQLite's json_extract the first, so such a body has no one meaning
 * (RFC 8259 §4, RFC 7493 §2.3).
 */
export function scanTopLevelMembers(json: string, wanted: readonly string[]): TopLevelScan {
  const raw: Partial<Record<string, string>> = {};
  let duplicate: string | undefined;
  walkTopLevel(json, (name, start, end) => {
    if (!wanted.includes(name)) return false;
    if (raw[name] !== undefined) {
      duplicate = name;
      return true;
    }
    raw[name] = json.slice(start, end);
    return false;
  });
  return { raw, duplicate };
}

/** Calls `visit` with each top-level member's decoded name and value bounds; true stops. */
function walkTopLevel(json: string, visit: (name: string, start: number, end: number) => boolean): void {
  let i = skipWhitespace(json, 0);
  if (json.charCodeAt(i) !== OPEN_BRACE) return;
  i = skipWhitespace(json, i + 1);
  while (i < json.length && json.charCodeAt(i) !== CLOSE_BRACE) {
    const keyEnd = endOfString(json, i);
    const rawKey = json.slice(i, keyEnd);
    const name = rawKey.includes("\\") ? (JSON.parse(rawKey) as string) : rawKey.slice(1, -1);
    i = skipWhitespace(json, keyEnd);
    i = skipWhitespace(json, i + 1); // the colon
    const valueEnd = endOfValue(json, i);
    if (visit(name, i, valueEnd)) return;
    i = skipWhitespace(json, valueEnd);
    if (json.charCodeAt(i) === COMMA) i = skipWhitespace(json, i + 1);
  }
}

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;

export function skipWhitespace(s: string, i: number): number {
  let j = i;
  for (;;) {
    const c = s.charCodeAt(j);
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) j++;
    else return j;
  }
}

/** `i` is at an opening quote; returns the index just past the closing quote. */
function endOfString(s: string, i: number): number {
  let j = i + 1;
  for (;;) {
    const q = s.indexOf('"', j);
    if (q < 0) return s.length;
    let backslashes = 0;
    for (let k = q - 1; s.charCodeAt(k) === BACKSLASH; k--) backslashes++;
    if (backslashes % 2 === 0) return q + 1;
    j = q + 1;
  }
}

/** `i` is at the start of a JSON value; returns the index just past its end. */
export function endOfValue(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c === QUOTE) return endOfString(s, i);
  if (c === OPEN_BRACE || c === OPEN_BRACKET) {
    let depth = 0;
    let j = i;
    while (j < s.length) {
      const d = s.charCodeAt(j);
      if (d === QUOTE) {
        j = endOfString(s, j);
        continue;
      }
      if (d === OPEN_BRACE || d === OPEN_BRACKET) depth++;
      else if (d === CLOSE_BRACE || d === CLOSE_BRACKET) {
        depth--;
        if (depth === 0) return j + 1;
      }
      j++;
    }
    return j;
  }
  // A number, true, false or null: runs until a delimiter.
  let j = i;
  while (j < s.length) {
    const d = s.charCodeAt(j);
    if (d === COMMA || d === CLOSE_BRACE || d === 0x20 || d === 0x0a || d === 0x0d || d === 0x09) break;
    j++;
  }
  return j;
}
