import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { local, placeDate, query, slip, utc } from "./format.js";

describe("dashboard formatting", () => {
  it("slip → signed days and hours, minutes only under a day", () => {
    assert.equal(slip((2 * 24 + 8) * 3600 + 37 * 60), "+2 d 8 h");
    assert.equal(slip(-(3600 + 5 * 60)), "-1 h 5 min");
    assert.equal(slip(0), "on time");
    assert.equal(slip(null), "—");
  });

  it("placeDate → the local time and offset Flexport wrote", () => {
    assert.equal(placeDate("2024-02-13T22:00:00.000-08:00"), "2024-02-13 22:00 (UTC-08:00)");
    assert.equal(placeDate("2024-02-13T22:00:00Z"), "2024-02-13 22:00 (UTC)");
    assert.equal(placeDate("next week"), "next week");
  });

  it("utc and local → the same instant in UTC and in the place's zone", () => {
    assert.equal(utc("2024-02-14T04:37:00.000Z"), "14 Feb 2024, 04:37 UTC");
    assert.equal(local("2024-02-14T04:37:00.000Z", "America/Los_Angeles"), "13 Feb 2024, 20:37 GMT-8");
    assert.equal(local("2024-02-14T04:37:00.000Z", "Not/AZone"), "14 Feb 2024, 04:37 UTC");
  });

  it("query → keeps filters, replaces changes, drops empty values", () => {
    assert.equal(query({ q: "a b", status: "", sort: "name" }, { page: 2 }), "?q=a+b&sort=name&page=2");
    assert.equal(query({}), "");
  });
});
