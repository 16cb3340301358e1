import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { readResults, renderTable } from "./support/results.js";

// Sorted last, so under the default one-file-at-a-time runner it sees every case's row.
describe("reliability summary", () => {
  it("prints the table written to docs/reliability.md: zero acknowledged losses, zero duplicate rows", () => {
    const rows = readResults();
    console.log(`\n${renderTable(rows)}\n\n(written to docs/reliability.md)\n`);
    for (const row of rows) {
      assert.equal(row.lost, 0, `${row.case} (${row.store}): acknowledged events lost`);
      assert.equal(row.duplicated, 0, `${row.case} (${row.store}): duplicate rows`);
    }
  });
});
