import { describe, expect, it } from "vitest";
import { MAX_RETRY_DELAY_MS, nextAttemptAt, parseRetryAfter, retryDelayMs } from "./backoff.js";

const MIN = 60_000;

describe("the back-off schedule", () => {
  it("retries first within a minute, then ×4 each time, capped at 6 h", () => {
    expect([1, 2, 3, 4, 5, 6, 7, 50].map(retryDelayMs)).toEqual([30_000, 2 * MIN, 8 * MIN, 32 * MIN, 128 * MIN, 6 * 60 * MIN, 6 * 60 * MIN, 6 * 60 * MIN]);
  });

  it("no failure, no wait; absurd counts stay finite", () => {
    expect(retryDelayMs(0)).toBe(0);
    expect(retryDelayMs(Number.NaN)).toBe(0);
    expect(retryDelayMs(1e9)).toBe(MAX_RETRY_DELAY_MS);
  });

  it("is counted from the run's scheduled time", () => {
    expect(nextAttemptAt(1_000_000, 1)).toBe(1_030_000);
    expect(nextAttemptAt(1_000_000, 3)).toBe(1_000_000 + 8 * MIN);
  });

  it("a Retry-After lengthens the wait, never shortens it, and is capped", () => {
    expect(nextAttemptAt(0, 1, 5 * MIN)).toBe(5 * MIN);
    expect(nextAttemptAt(0, 3, 1_000)).toBe(8 * MIN);
    expect(nextAttemptAt(0, 1, 10 * 24 * 60 * MIN)).toBe(MAX_RETRY_DELAY_MS);
  });
});

describe("Retry-After (RFC 9110 §10.2.3)", () => {
  const now = Date.parse("2026-12-01T12:00:00Z");
  it("reads delay-seconds and HTTP-dates", () => {
    expect(parseRetryAfter("120", now)).toBe(120_000);
    expect(parseRetryAfter(" 0 ", now)).toBe(0);
    expect(parseRetryAfter("Tue, 01 Dec 2026 12:05:00 GMT", now)).toBe(5 * MIN);
  });
  it("ignores what is neither, and dates in the past", () => {
    for (const v of [null, undefined, "", "soon", "-5", "1.5", "Tue, 01 Dec 2026 11:00:00 GMT", "12:00"]) expect(parseRetryAfter(v, now)).toBeUndefined();
  });
});
