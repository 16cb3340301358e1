import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import stringWidth from "string-width";
import { controlCharacters } from "../../test/helpers/terminal.js";
import { formatTable, loadDisplayWidths, printable } from "./table.js";

before(loadDisplayWidths);

describe("formatTable", () => {
  it("CJK and emoji cells → columns aligned by display width, not code units", () => {
    const table = formatTable(
      ["name", "mode"],
      [
        ["青岛 港", "ocean"],
        ["🚢 Rotterdam", "ocean"],
        ["LA", "air"],
      ],
      { maxWidth: undefined },
    );
    const starts = table.split("\n").map((line) => {
      const at = line.search(/ocean|air|MODE/);
      return stringWidth(line.slice(0, at));
    });
    assert.deepEqual(new Set(starts).size, 1, `every second column starts at one display column:\n${table}`);
  });

  it("maxWidth → every line fits, long cells cut with an ellipsis, short columns kept whole", () => {
    const long = "Shanghai Pudong International Container Terminal Phase IV, Berth 12";
    const table = formatTable(
      ["id", "name", "status"],
      [
        ["7102247", long, "in_transit"],
        ["7102248", "東京港 大井コンテナふ頭 第一バース 🚢🚢🚢🚢", "arrived"],
      ],
      { maxWidth: 50 },
    );
    for (const line of table.split("\n")) assert.ok(stringWidth(line) <= 50, `${stringWidth(line)}: ${line}`);
    assert.match(table, /7102247/);
    assert.match(table, /in_transit/);
    assert.match(table, /Shanghai.*…/);
    assert.ok(!table.includes(long));
  });

  it("control characters and escape sequences in cells → shown as text, never emitted", () => {
    const table = formatTable(["type"], [["/x\u001b]0;pwned\u0007\u001b[2J\u009b1m\u202eevil"]], {
      maxWidth: undefined,
    });
    assert.deepEqual(controlCharacters(table), []);
    assert.match(table, /\\u001b\]0;pwned\\u0007\\u001b\[2J\\u009b1m\\u202eevil/);
  });
});

describe("printable", () => {
  it("keeps ordinary text (accents, CJK, emoji) as it is", () => {
    assert.equal(printable("Köln 青岛 🚢 é"), "Köln 青岛 🚢 é");
  });
});
