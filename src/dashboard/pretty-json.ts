/**
 * Indents JSON text without parsing it into values, so every number keeps its exact
 * digits (an id like 9007199254740993 would be rounded by JSON.parse). Text that is not
 * JSON comes back unchanged.
 */
export function prettyJson(text: string, indent = "  "): string {
  try {
    JSON.parse(text);
  } catch {
    return text;
  }
  let out = "";
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i] as string;
    if (inString) {
      out += c;
      if (c === "\\") {
        out += text[i + 1] ?? "";
        i += 1;
      } else if (c === '"') inString = false;
      continue;
    }
    if (c === " " || c === "\t" || c === "\n" || c === "\r") continue;
    if (c === '"') {
      inString = true;
      out += c;
    } else if (c === "{" || c === "[") {
      const close = c === "{" ? "}" : "]";
      const next = nextSignificant(text, i + 1);
      if (text[next] === close) {
        out += c + close;
        i = next;
      } else {
        depth += 1;
        out += `${c}\n${indent.repeat(depth)}`;
      }
    } else if (c === "}" || c === "]") {
      depth -= 1;
      out += `\n${indent.repeat(depth)}${c}`;
    } else if (c === ",") {
      out += `,\n${indent.repeat(depth)}`;
    } else if (c === ":") {
      out += ": ";
    } else {
      out += c;
    }
  }
  return out;
}

function nextSignificant(text: string, from: number): number {
  let i = from;
  while (i < text.length && /\s/.test(text[i] as string)) i += 1;
  return i;
}
