import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { prettyJson } from "./pretty-json.js";

describe("prettyJson", () => {
  it("indents JSON and keeps every number's digits", () => {
    const text = '{"id":9007199254740993,"a":[1,2.50,{"b":"x, y: {z}"}],"e":{},"f":[],"s":"q\\"uote"}';
    const pretty = prettyJson(text);
    assert.match(pretty, /"id": 9007199254740993,/);
    assert.match(pretty, /2\.50/);
    assert.match(pretty, /"b": "x, y: \{z\}"/);
    assert.match(pretty, /"e": \{\},/);
    assert.match(pretty, /"s": "q\\"uote"/);
    assert.deepEqual(JSON.parse(pretty), JSON.parse(text));
  });

  it("text that is not JSON → unchanged", () => {
    assert.equal(prettyJson("not json {"), "not json {");
  });
});
