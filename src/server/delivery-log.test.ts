import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DeliveryLog } from "./delivery-log.js";

describe("DeliveryLog", () => {
  it("counts per outcome per bucket, fills empty buckets, forgets buckets past the window", () => {
    let now = 10 * 60_000;
    const log = new DeliveryLog(60_000, 3, () => now);
    log.add("stored");
    log.add("stored");
    log.add("unauthorized");
    now += 2 * 60_000;
    log.add("quarantined");
    const series = log.series();
    assert.equal(series.length, 3);
    assert.equal(series[0]?.counts.stored, 2);
    assert.equal(series[0]?.counts.unauthorized, 1);
    assert.equal(series[1]?.counts.stored, 0);
    assert.equal(series[2]?.counts.quarantined, 1);
    assert.equal(log.lastDelivery()?.outcome, "quarantined");
    now += 5 * 60_000;
    log.add("duplicate");
    assert.deepEqual(
      log.series().map((b) => b.counts.duplicate),
      [1],
    );
  });
});
