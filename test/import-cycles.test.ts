import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, it } from "node:test";
import { packagePath } from "../src/paths.js";

const SRC = packagePath("src");

/** Every module under src/ (tests aside) with the src modules it imports, statically or lazily. */
function importGraph(): Map<string, string[]> {
  const files = readdirSync(SRC, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"))
    .map((f) => join(SRC, f));
  const known = new Set(files);
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const text = readFileSync(file, "utf8");
    const targets = [...text.matchAll(/(?:from\s+|import\s*\(\s*)["'](\.[^"']+)\.js["']/g)]
      .map((m) => `${resolve(dirname(file), m[1] ?? "")}.ts`)
      .filter((target) => known.has(target));
    graph.set(file, targets);
  }
  return graph;
}

function cycles(graph: Map<string, string[]>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, "open" | "done">();
  const path: string[] = [];
  const visit = (node: string) => {
    state.set(node, "open");
    path.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === "open") found.push([...path.slice(path.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    path.pop();
    state.set(node, "done");
  };
  for (const node of graph.keys()) if (!state.has(node)) visit(node);
  return found;
}

describe("module structure", () => {
  it("src/ → no import circle (static or lazy imports)", () => {
    const graph = importGraph();
    assert.ok(graph.size > 50, `read only ${graph.size} modules`);
    const names = cycles(graph).map((cycle) => cycle.map((f) => relative(SRC, f)).join(" -> "));
    assert.deepEqual(names, []);
  });

  it("a circle → found (the check can fail)", () => {
    const graph = new Map([
      ["a", ["b"]],
      ["b", ["c"]],
      ["c", ["a"]],
    ]);
    assert.deepEqual(cycles(graph), [["a", "b", "c", "a"]]);
  });
});
