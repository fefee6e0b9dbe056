import { describe, expect, it } from "vitest";
import { eTagMatches, parseIfMatch, weakETag } from "./etag.js";

describe("ETags (RFC 7644 §3.14)", () => {
  it("weakETag builds W/\"…\"", () => {
    expect(weakETag("3694e05e9dff591")).toBe('W/"3694e05e9dff591"');
  });
  it("parseIfMatch: absent, *, lists, strong and unquoted forms", () => {
    expect(parseIfMatch(undefined)).toBeUndefined();
    expect(parseIfMatch("  ")).toBeUndefined();
    expect(parseIfMatch("*")).toBe("*");
    expect(parseIfMatch('W/"a", "b" ,c')).toEqual(['W/"a"', 'W/"b"', 'W/"c"']);
  });
  it("compares weakly against meta.version", () => {
    expect(eTagMatches(parseIfMatch('"a"') as string[], 'W/"a"')).toBe(true);
    expect(eTagMatches(parseIfMatch('W/"b"') as string[], 'W/"a"')).toBe(false);
    expect(eTagMatches("*", 'W/"a"')).toBe(true);
  });
});
