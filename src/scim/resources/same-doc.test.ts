import { describe, expect, it } from "vitest";
import { sameDoc } from "./same-doc.js";

describe("sameDoc", () => {
  it("ignores object key order, at any depth", () => {
    expect(sameDoc({ a: 1, b: { c: "x", d: true } }, { b: { d: true, c: "x" }, a: 1 })).toBe(true);
    expect(sameDoc({ emails: [{ type: "work", value: "a" }] }, { emails: [{ value: "a", type: "work" }] })).toBe(true);
  });
  it("sees changed, added and removed values, and array order", () => {
    expect(sameDoc({ a: 1 }, { a: 2 })).toBe(false);
    expect(sameDoc({ a: 1 }, { a: 1, b: 1 })).toBe(false);
    expect(sameDoc({ a: "1" }, { a: 1 })).toBe(false);
    expect(sameDoc({ l: [1, 2] }, { l: [2, 1] })).toBe(false);
  });
});
