import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { packagePath } from "../paths.js";
import { CATALOGUE, CATEGORIES, describeEventType, EFFECTS } from "./catalogue.js";
import {
  BEGIN_MARKER,
  catalogueBigQueryRows,
  catalogueInsertSql,
  renderedBlock,
  replaceBlock,
} from "./catalogue-sql.js";
import { CATALOGUE_SQL_FILES } from "./write-catalogue-sql.js";

describe("milestone catalogue", () => {
  it("entries → unique types in /object#event form, known categories and effects, labels", () => {
    assert.equal(new Set(CATALOGUE.map((e) => e.type)).size, CATALOGUE.length);
    for (const entry of CATALOGUE) {
      assert.match(entry.type, /^\/[a-z_/]+#[a-z_]+$/, entry.type);
      assert.ok((CATEGORIES as readonly string[]).includes(entry.category), entry.type);
      assert.ok(entry.effect === null || (EFFECTS as readonly string[]).includes(entry.effect), entry.type);
      assert.ok(entry.label.trim().length > 0, entry.type);
    }
    for (const category of CATEGORIES) {
      assert.ok(
        CATALOGUE.some((e) => e.category === category),
        `category ${category} has at least one type`,
      );
    }
  });

  it("every SQL copy → exactly what catalogue.ts renders (run write-catalogue-sql after editing)", () => {
    for (const { path, render } of CATALOGUE_SQL_FILES) {
      const sql = readFileSync(packagePath(...path), "utf8");
      assert.equal(renderedBlock(sql), render(), `${path.join("/")} is out of date`);
    }
  });

  it("rendering → quotes escaped per dialect", () => {
    const entry = { type: "/x#y", label: "Trucker's \\ hours", category: "exception", effect: null } as const;
    assert.match(catalogueInsertSql([entry]), /'Trucker''s \\ hours'/);
    assert.match(catalogueBigQueryRows([entry]), /'Trucker\\'s \\\\ hours'/);
  });

  it("replaceBlock → swaps only the text between the markers", () => {
    const sql = `before\n${BEGIN_MARKER}\nold\n-- END catalogue\nafter\n`;
    assert.equal(replaceBlock(sql, "new"), `before\n${BEGIN_MARKER}\nnew\n-- END catalogue\nafter\n`);
    assert.equal(renderedBlock(replaceBlock(sql, "new")), "new");
  });

  it("describeEventType → the entry, or the raw type with category other", () => {
    assert.deepEqual(describeEventType("/shipment_leg#departed"), {
      type: "/shipment_leg#departed",
      label: "Departed",
      category: "transit",
      effect: null,
    });
    assert.deepEqual(describeEventType("/shipment#teleported"), {
      type: "/shipment#teleported",
      label: "/shipment#teleported",
      category: "other",
      effect: null,
    });
  });
});
