import { describe, expect, it } from "vitest";
import { exceedsDepth, foldCase, isPlainObject } from "./data-types.js";

describe("SCIM data types", () => {
  it("isPlainObject: a JSON object only", () => {
    expect([{}, { a: 1 }].map(isPlainObject)).toEqual([true, true]);
    expect([[], null, "x", 1].map(isPlainObject)).toEqual([false, false, false, false]);
  });
  it("foldCase: Unicode-aware (NFKC + lower case)", () => {
    expect(foldCase("ＡＤＡ@Contoso.COM")).toBe("ada@contoso.com");
  });
  it("exceedsDepth: counts objects and arrays without recursion, even 100,000 deep", () => {
    let deep: unknown = "leaf";
    for (let i = 0; i < 100_000; i++) deep = { a: deep };
    expect(exceedsDepth(deep, 32)).toBe(true);
    expect(exceedsDepth({ a: [{ b: { c: 1 } }] }, 4)).toBe(false);
    expect(exceedsDepth({ a: [{ b: { c: {} } }] }, 4)).toBe(true);
  });
});
