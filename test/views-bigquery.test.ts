import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { BIGQUERY_VIEW_IDS, bigQueryViews } from "../src/sinks/bigquery-views.js";
import { SqliteStore } from "../src/stores/sqlite/sqlite-store.js";
import type { EventStore } from "../src/stores/store.js";
import { storeTargets, type TestStore } from "./helpers/stores.js";

// No BigQuery runs here, so the BigQuery views are checked by reading them: they lex as one
// statement, use only GoogleSQL functions, no reserved word as a name, and give the same
// columns, in the same order, as the SQLite and PostgreSQL views.

interface Token {
  readonly kind: "word" | "string" | "ident" | "punct";
  readonly text: string;
}

/** GoogleSQL's lexical rules, as far as these files need: -- comments, '…' with \ escapes, `…`. */
function lex(sql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < sql.length) {
    const c = sql[i] ?? "";
    if (/\s/.test(c)) {
      i++;
    } else if (sql.startsWith("--", i)) {
      i = sql.indexOf("\n", i) < 0 ? sql.length : sql.indexOf("\n", i);
    } else if (c === "'" || c === "`" || c === '"') {
      let j = i + 1;
      while (j < sql.length && sql[j] !== c) j += sql[j] === "\\" ? 2 : 1;
      if (j >= sql.length) throw new Error(`unterminated ${c} at offset ${i}`);
      tokens.push({ kind: c === "`" ? "ident" : "string", text: sql.slice(i, j + 1) });
      i = j + 1;
    } else if (/[A-Za-z_]/.test(c)) {
      const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(sql.slice(i))?.[0] ?? c;
      tokens.push({ kind: "word", text: word });
      i += word.length;
    } else if (/[0-9]/.test(c)) {
      const number = /^[0-9]+/.exec(sql.slice(i))?.[0] ?? c;
      tokens.push({ kind: "word", text: number });
      i += number.length;
    } else {
      tokens.push({ kind: "punct", text: c });
      i++;
    }
  }
  return tokens;
}

function checkBalanced(tokens: Token[]): void {
  const stack: string[] = [];
  const pairs: Record<string, string> = { ")": "(", "]": "[", ">": "<" };
  for (const token of tokens) {
    if (token.kind !== "punct") continue;
    if (token.text === "(" || token.text === "[") stack.push(token.text);
    if (token.text === ")" || token.text === "]")
      assert.equal(stack.pop(), pairs[token.text], "brackets match");
  }
  assert.deepEqual(stack, [], "every bracket is closed");
}

/** Output column names of the last top-level SELECT (the view's own columns). */
function outputColumns(tokens: Token[]): string[] {
  let depth = 0;
  let select = -1;
  let from = -1;
  tokens.forEach((token, i) => {
    if (token.text === "(" || token.text === "[") depth++;
    if (token.text === ")" || token.text === "]") depth--;
    if (depth === 0 && token.kind === "word" && token.text.toUpperCase() === "SELECT") select = i;
    if (depth === 0 && token.kind === "word" && token.text.toUpperCase() === "FROM" && i > select) from = i;
  });
  const items: Token[][] = [[]];
  depth = 0;
  for (const token of tokens.slice(select + 1, from)) {
    if (token.text === "(" || token.text === "[") depth++;
    if (token.text === ")" || token.text === "]") depth--;
    if (depth === 0 && token.text === ",") items.push([]);
    else items.at(-1)?.push(token);
  }
  return items.map((item) => item.at(-1)?.text ?? "");
}

// GoogleSQL functions these views may call; a SQLite or PostgreSQL spelling is a mistake here.
const BIGQUERY_FUNCTIONS = new Set([
  "ARRAY",
  "ARRAY_AGG",
  "COALESCE",
  "COUNT",
  "IF",
  "JSON_QUERY_ARRAY",
  "JSON_VALUE",
  "LAG",
  "LENGTH",
  "MAX",
  "MIN",
  "ROW_NUMBER",
  "SAFE_CAST",
  "SAFE_OFFSET",
  "SAFE_CAST",
  "CAST",
  "SUM",
  "JSON_QUERY",
  "STRING_AGG",
  "STRUCT",
  "TIMESTAMP_DIFF",
  "UNNEST",
  "OVER",
  "AS",
  "IN",
  "AND",
  "OR",
  "ON",
  "FROM",
  "SELECT",
  "EXISTS",
]);

// Reserved keywords of GoogleSQL that could pass for a column name.
const RESERVED = new Set([
  "AT",
  "ALL",
  "BY",
  "END",
  "FOR",
  "GROUPS",
  "HASH",
  "NEW",
  "NO",
  "OF",
  "RANGE",
  "ROWS",
  "TO",
]);

const ref = { projectId: "acme-logistics", datasetId: "flexport", tableId: "events" };
const views = bigQueryViews(ref);

describe("BigQuery milestone views (read, not run)", () => {
  let installation: TestStore;
  let store: EventStore;

  before(async () => {
    const sqlite = (await storeTargets()).find((t) => t.name === "sqlite");
    if (sqlite === undefined) throw new Error("no sqlite target");
    installation = await sqlite.create();
    store = await installation.open();
    await store.migrate();
  });

  after(async () => {
    await store?.close();
    await installation?.destroy();
  });

  it("bigQueryViews → every view, aimed at the table's dataset and its _dedup view", () => {
    assert.deepEqual(
      views.map((v) => v.viewId),
      [...BIGQUERY_VIEW_IDS],
    );
    const [milestones, status, estimates, history] = views;
    assert.match(milestones?.query ?? "", /FROM `acme-logistics\.flexport\.events_dedup` AS e/);
    assert.match(status?.query ?? "", /FROM `acme-logistics\.flexport\.flexport_milestones` AS m/);
    assert.match(estimates?.query ?? "", /FROM `acme-logistics\.flexport\.flexport_milestones`/);
    assert.match(history?.query ?? "", /FROM `acme-logistics\.flexport\.flexport_eta_estimates` AS e/);
    assert.match(
      milestones?.ddl ?? "",
      /^CREATE OR REPLACE VIEW `acme-logistics\.flexport\.flexport_milestones` AS$/m,
    );
    for (const view of views) {
      assert.doesNotMatch(view.ddl, /PROJECT|DATASET/, `${view.viewId}: every placeholder replaced`);
      assert.match(view.query, /^WITH /, `${view.viewId}: the query alone, without the CREATE line`);
    }
  });

  for (const view of views) {
    it(`${view.viewId} → one statement, balanced, GoogleSQL functions only, no reserved names`, () => {
      const tokens = lex(view.ddl);
      checkBalanced(tokens);
      assert.deepEqual(
        tokens.filter((t) => t.text === ";").length,
        1,
        "exactly one statement, ended by a semicolon",
      );
      assert.equal(tokens.at(-1)?.text, ";");
      tokens.forEach((token, i) => {
        if (token.kind !== "word" || tokens[i + 1]?.text !== "(") return;
        assert.ok(
          BIGQUERY_FUNCTIONS.has(token.text.toUpperCase()),
          `${token.text}( is not a GoogleSQL function here`,
        );
      });
      tokens.forEach((token, i) => {
        if (tokens[i - 1]?.text.toUpperCase() === "AS" && token.kind === "word") {
          assert.ok(!RESERVED.has(token.text.toUpperCase()), `${token.text} is reserved in GoogleSQL`);
        }
      });
    });

    it(`${view.viewId} → the same columns, in the same order, as in SQLite (and received_at)`, () => {
      assert.ok(store instanceof SqliteStore);
      const columns = store.database
        .prepare(`SELECT * FROM ${view.viewId}`)
        .columns()
        .map((c) => c.name);
      assert.ok(columns.length > 5);
      // flexport_milestones adds received_at in BigQuery: the partitioning column, for pruning.
      const extra = view.viewId === "flexport_milestones" ? ["received_at"] : [];
      assert.deepEqual(outputColumns(lex(view.query)), [...columns, ...extra]);
    });
  }
});
