import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { rawTopLevelMember, scanTopLevelMembers } from "./top-level-member.js";

describe("rawTopLevelMember", () => {
  it("number above 2^53 → exact source text", () => {
    assert.equal(rawTopLevelMember('{"id":9007199254740993,"type":"x"}', "id"), "9007199254740993");
  });

  it("ignores nested members of the same name", () => {
    const json = '{"data":{"id":1,"list":[{"id":2}]},"id":3}';
    assert.equal(rawTopLevelMember(json, "id"), "3");
  });

  it("skips strings holding braces, quotes and escaped backslashes", () => {
    const json = '{"a":"}\\"{","b":"\\\\","c":["]",{"d":"}"}],"id":42}';
    assert.equal(rawTopLevelMember(json, "id"), "42");
  });

  it("whitespace and pretty printing → token without spaces", () => {
    assert.equal(rawTopLevelMember('{\n  "type" : "x",\n  "id" :\t 12345 \n}', "id"), "12345");
  });

  it("duplicate keys → the last one, as JSON.parse does", () => {
    assert.equal(rawTopLevelMember('{"id":1,"id":2}', "id"), "2");
  });

  it("escaped key name → matched by its decoded name", () => {
    assert.equal(rawTopLevelMember('{"\\u0069d":77}', "id"), "77");
  });

  it("string, object and literal values → their raw text", () => {
    assert.equal(rawTopLevelMember('{"id":"abc"}', "id"), '"abc"');
    assert.equal(rawTopLevelMember('{"id":{"x":[1]}}', "id"), '{"x":[1]}');
    assert.equal(rawTopLevelMember('{"id":null}', "id"), "null");
    assert.equal(rawTopLevelMember('{"id":-1.5e3}', "id"), "-1.5e3");
  });

  it("absent member or non-object → undefined", () => {
    assert.equal(rawTopLevelMember('{"type":"x"}', "id"), undefined);
    assert.equal(rawTopLevelMember("[1,2]", "id"), undefined);
    assert.equal(rawTopLevelMember("{}", "id"), undefined);
  });
});

describe("scanTopLevelMembers", () => {
  it("wanted members → their raw text; a repeated one → named as the duplicate", () => {
    const scan = scanTopLevelMembers('{"id":9007199254740993,"x":{"id":1},"type":"t"}', ["id", "type"]);
    assert.deepEqual(scan, { raw: { id: "9007199254740993", type: '"t"' }, duplicate: undefined });
    assert.equal(scanTopLevelMembers('{"type":"a","id":1,"type":"b"}', ["id", "type"]).duplicate, "type");
  });
});
