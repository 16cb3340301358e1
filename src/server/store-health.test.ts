import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { pino } from "pino";
import { StoreHealth } from "./store-health.js";

function healthWithClock() {
  const lines: string[] = [];
  const logger = pino({ base: null }, { write: (line: string) => lines.push(JSON.parse(line).msg) });
  let clock = 1000;
  const health = new StoreHealth(logger, () => clock);
  return { health, lines, at: (ms: number) => (clock = ms) };
}

describe("StoreHealth", () => {
  it("failures while failing → one outage line; a later success → one recovery line", () => {
    const { health, lines, at } = healthWithClock();
    at(2000);
    health.failed("down", 1990);
    at(2100);
    health.failed("down", 2050);
    at(2200);
    health.failed("down", 1995);
    assert.equal(health.failedWithin(5000), true);
    at(3000);
    health.succeeded(2900);
    assert.deepEqual(lines, ["store unavailable: answering 503 until it recovers", "store recovered"]);
    assert.equal(health.failedWithin(5000), false);
  });

  it("a success of a write started before the outage was seen → not a recovery", () => {
    const { health, lines, at } = healthWithClock();
    at(2000);
    health.failed("ECONNRESET", 1990);
    at(2030);
    health.succeeded(1980); // committed before the cut, answered after it
    at(2040);
    health.failed("ECONNRESET", 2035);
    assert.deepEqual(lines, ["store unavailable: answering 503 until it recovers"]);
    assert.equal(health.failedWithin(5000), true);
  });

  it("a failure of a write started during the outage, after recovery → not a new outage", () => {
    const { health, lines, at } = healthWithClock();
    at(2000);
    health.failed("down", 1990);
    at(5000);
    health.succeeded(4990);
    at(5100);
    health.failed("connection timeout", 4500); // waited for a connection since the outage
    assert.deepEqual(lines, ["store unavailable: answering 503 until it recovers", "store recovered"]);
    assert.equal(health.failedWithin(5000), false);
    at(5200);
    health.failed("down again", 5150);
    assert.equal(lines.length, 3);
  });
});
