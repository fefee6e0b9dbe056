import { describe, expect, it } from "vitest";
import { isAcknowledged, planDeliveries, resumeAfterPruning } from "./plan.js";

/** An event at `position` of its stream, happening at `occurredAt` (by default its position). */
const ev = (position: number, type = "user.created", occurredAt = position) => ({ position, type, occurredAt });
/** One stream's page: a tenant's feed, whose page ends at its last event. */
const one = (events: Array<ReturnType<typeof ev>>) => [{ stream: "feed", events, end: events[events.length - 1]?.position ?? 0 }];
const at = (n: number) => ({ feed: n });

describe("which events a run sends to an endpoint", () => {
  it("every event after the cursor, in order, each moving the cursor to itself", () => {
    const plan = planDeliveries(at(10), one([ev(11), ev(12), ev(13)]), null, 100);
    expect(plan.sends.map((s) => [s.cursorBefore.feed, s.event.position, s.cursorAfter.feed])).toEqual([
      [10, 11, 11],
      [11, 12, 12],
      [12, 13, 13],
    ]);
    expect(plan).toMatchObject({ cursorAtEnd: at(13), skipped: 0 });
  });

  it("passes over unsubscribed types: a failure keeps the cursor just before the failed event", () => {
    const plan = planDeliveries(at(0), one([ev(1, "group.created"), ev(2), ev(3, "group.updated"), ev(4, "group.deleted"), ev(5), ev(6, "group.created")]), ["user.created"], 100);
    expect(plan.sends.map((s) => [s.cursorBefore.feed, s.event.position])).toEqual([
      [1, 2],
      [4, 5],
    ]);
    expect(plan).toMatchObject({ cursorAtEnd: at(6), skipped: 4 });
  });

  it("stops at the per-run bound without passing the next subscribed event", () => {
    const plan = planDeliveries(at(0), one([ev(1), ev(2, "x.other"), ev(3), ev(4)]), ["user.created"], 1);
    expect(plan.sends.map((s) => s.event.position)).toEqual([1]);
    // Past the skipped 2, never past the unsent 3.
    expect(plan.cursorAtEnd).toEqual(at(2));
  });

  it("nothing new: nothing to send, the cursor stays", () => {
    expect(planDeliveries(at(7), [{ stream: "feed", events: [], end: 7 }], null, 10)).toEqual({ sends: [], cursorAtEnd: at(7), skipped: 0 });
    // Only filtered-out events: the cursor moves past them without a send.
    expect(planDeliveries(at(7), one([ev(8, "a"), ev(9, "b")]), ["user.created"], 10)).toEqual({ sends: [], cursorAtEnd: at(9), skipped: 2 });
  });

  it("never goes back or sends an event at or below the cursor", () => {
    expect(planDeliveries(at(5), one([ev(4), ev(5), ev(6)]), null, 10).sends.map((s) => s.event.position)).toEqual([6]);
  });
});

describe("an all-tenants endpoint: one stream per data shard", () => {
  it("merges the shards by time, each shard's events in its own order, each moving only its shard's position", () => {
    const plan = planDeliveries(
      { DB: 10, DB_2: 3 },
      [
        { stream: "DB", events: [ev(11, "user.created", 100), ev(12, "user.created", 300)], end: 12 },
        { stream: "DB_2", events: [ev(4, "user.created", 200), ev(5, "user.created", 400)], end: 5 },
      ],
      null,
      10,
    );
    expect(plan.sends.map((s) => [s.stream, s.event.position])).toEqual([
      ["DB", 11],
      ["DB_2", 4],
      ["DB", 12],
      ["DB_2", 5],
    ]);
    expect(plan.sends[1]).toMatchObject({ cursorBefore: { DB: 11, DB_2: 3 }, cursorAfter: { DB: 11, DB_2: 4 } });
    expect(plan.cursorAtEnd).toEqual({ DB: 12, DB_2: 5 });
  });

  it("a tie in time goes to the first shard; a shard without events keeps its position", () => {
    const plan = planDeliveries({ DB: 0, DB_2: 0, DB_3: 9 }, [
      { stream: "DB", events: [ev(1, "user.created", 50)], end: 1 },
      { stream: "DB_2", events: [ev(1, "user.created", 50)], end: 1 },
      { stream: "DB_3", events: [], end: 9 },
    ], null, 10);
    expect(plan.sends.map((s) => s.stream)).toEqual(["DB", "DB_2"]);
    expect(plan.cursorAtEnd).toEqual({ DB: 1, DB_2: 1, DB_3: 9 });
  });

  it("passes rows its page left out (a move's copies) once the shard's page is all handled, never while a send waits", () => {
    const pages = [
      // DB_2's page read rows up to 20; the events after 6 were copies, left out.
      { stream: "DB", events: [ev(1, "user.created", 10), ev(2, "user.created", 30)], end: 2 },
      { stream: "DB_2", events: [ev(6, "user.created", 20)], end: 20 },
    ];
    expect(planDeliveries({ DB: 0, DB_2: 5 }, pages, null, 10).cursorAtEnd).toEqual({ DB: 2, DB_2: 20 });
    // Bound of 2 sends: DB's second event waits, so DB stays before it; DB_2 was all handled and moves past its page.
    const bounded = planDeliveries({ DB: 0, DB_2: 5 }, pages, null, 2);
    expect(bounded.sends.map((s) => [s.stream, s.event.position])).toEqual([
      ["DB", 1],
      ["DB_2", 6],
    ]);
    expect(bounded.cursorAtEnd).toEqual({ DB: 1, DB_2: 20 });
    // A page of copies only: nothing to send, the position moves past them.
    expect(planDeliveries({ DB_3: 0 }, [{ stream: "DB_3", events: [], end: 40 }], null, 10)).toEqual({ sends: [], cursorAtEnd: { DB_3: 40 }, skipped: 0 });
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
