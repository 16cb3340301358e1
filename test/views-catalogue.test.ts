import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { describe, it } from "node:test";
import { describeEventType } from "../src/milestones/catalogue.js";
import { loadSamples, SAMPLES_DIR } from "../src/samples/samples.js";
import { conformanceCorpus } from "./helpers/fixtures.js";

const uncatalogued = (types: Iterable<string>) =>
  [...new Set(types)].filter((type) => describeEventType(type).category === "other");

describe("milestone catalogue against real events", () => {
  const corpus = conformanceCorpus();
  it("every type in the external Flexport conformance corpus → catalogued", {
    skip: corpus === undefined ? "the external corpus is not present" : false,
  }, () => {
    const types = corpus?.entries.map((entry) => entry.type) ?? [];
    assert.ok(types.length > 0);
    assert.deepEqual(uncatalogued(types), []);
  });

  it("every type in the project's samples → catalogued", {
    skip: existsSync(SAMPLES_DIR) ? false : "no samples yet",
  }, () => {
    const types = loadSamples().map((s) => (JSON.parse(s.bytes.toString("utf8")) as { type: string }).type);
    assert.ok(types.length > 0);
    assert.deepEqual(uncatalogued(types), []);
  });
});
