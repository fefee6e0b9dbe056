import { describe, expect, it } from "vitest";
import { isAcknowledged, planDeliveries, resumeAfterPruning } from "./plan.js";

const ev = (position: number, type = "user.created") => ({ position, type });

describe("which events a run sends to an endpoint", () => {
  it("every event after the cursor, in order, each moving the cursor to itself", () => {
    const plan = planDeliveries(10, [ev(11), ev(12), ev(13)], null, 100);
    expect(plan.sends.map((s) => [s.cursorBefore, s.event.position, s.cursorAfter])).toEqual([
      [10, 11, 11],
      [11, 12, 12],
      [12, 13, 13],
    ]);
    expect(plan).toMatchObject({ cursorAtEnd: 13, skipped: 0 });
  });

  it("passes over unsubscribed types: a failure keeps the cursor just before the failed event", () => {
    const plan = planDeliveries(0, [ev(1, "group.created"), ev(2), ev(3, "group.updated"), ev(4, "group.deleted"), ev(5), ev(6, "group.created")], ["user.created"], 100);
    expect(plan.sends.map((s) => [s.cursorBefore, s.event.position])).toEqual([
      [1, 2],
      [4, 5],
    ]);
    expect(plan).toMatchObject({ cursorAtEnd: 6, skipped: 4 });
  });

  it("stops at the per-run bound without passing the next subscribed event", () => {
    const plan = planDeliveries(0, [ev(1), ev(2, "x.other"), ev(3), ev(4)], ["user.created"], 1);
    expect(plan.sends.map((s) => s.event.position)).toEqual([1]);
    // Past the skipped 2, never past the unsent 3.
    expect(plan.cursorAtEnd).toBe(2);
  });

  it("nothing new: nothing to send, the cursor stays", () => {
    expect(planDeliveries(7, [], null, 10)).toEqual({ sends: [], cursorAtEnd: 7, skipped: 0 });
    // Only filtered-out events: the cursor moves past them without a send.
    expect(planDeliveries(7, [ev(8, "a"), ev(9, "b")], ["user.created"], 10)).toEqual({ sends: [], cursorAtEnd: 9, skipped: 2 });
  });

  it("never goes back or sends an event at or below the cursor", () => {
    expect(planDeliveries(5, [ev(4), ev(5), ev(6)], null, 10).sends.map((s) => s.event.position)).toEqual([6]);
  });
});

describe("after retention pruned undelivered events", () => {
  it("resumes past them and says how many positions were lost", () => {
    expect(resumeAfterPruning(10, 25)).toEqual({ cursor: 25, expired: 15 });
    expect(resumeAfterPruning(30, 25)).toEqual({ cursor: 30, expired: 0 });
  });
});

describe("acknowledgement (Standard Webhooks: 2xx only)", () => {
  it("2xx acknowledges; 1xx, 3xx, 4xx, 5xx do not", () => {
    expect([200, 201, 202, 204, 299].every(isAcknowledged)).toBe(true);
    expect([100, 199, 300, 301, 302, 304, 400, 404, 410, 429, 500, 503].some(isAcknowledged)).toBe(false);
  });
});
