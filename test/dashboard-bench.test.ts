import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { renderDashboardSection, runDashboardBench } from "../bench/dashboard-bench.js";
import {
  DOCS_BEGIN,
  DOCS_END,
  dashboardSectionOf,
  withDashboardSection,
} from "../bench/dashboard-section.js";

// Keeps the dashboard benchmark from rotting: a tiny run end to end, with no performance
// thresholds, and its docs section kept when the rest of the page is regenerated.
describe("dashboard bench", () => {
  it("a tiny run on SQLite → every page answered and timed", { timeout: 60_000 }, async () => {
    const results = await runDashboardBench([
      "--events",
      "200",
      "--shipments",
      "10",
      "--runs",
      "2",
      "--sqlite-only",
    ]);
    const [sqlite] = results.stores;
    assert.equal(sqlite?.store, "sqlite");
    assert.equal(sqlite?.pages?.length, 10);
    for (const page of sqlite?.pages ?? []) assert.ok(page.p50 > 0 && page.max >= page.p50, page.page);
    const section = renderDashboardSection(results, "bench/results/x.json");
    assert.ok(section.startsWith(DOCS_BEGIN) && section.endsWith(DOCS_END));
    assert.match(section, /\| board \| [\d.]+ \/ [\d.]+ \/ [\d.]+ \|/);
  });

  it("the section → replaced in place, appended when missing, carried over by regeneration", () => {
    const section = `${DOCS_BEGIN}\nnew\n${DOCS_END}`;
    const page = `# Benchmarks\n\n${DOCS_BEGIN}\nold\n${DOCS_END}\n\n## After\n`;
    assert.equal(withDashboardSection(page, section), `# Benchmarks\n\n${section}\n\n## After\n`);
    assert.equal(withDashboardSection("# Benchmarks\n", section), `# Benchmarks\n\n${section}\n`);
    assert.equal(dashboardSectionOf(page), `${DOCS_BEGIN}\nold\n${DOCS_END}`);
    assert.equal(dashboardSectionOf("# nothing"), undefined);
  });
});
