import { describe, expect, it } from "vitest";
import { ScimError } from "./errors.js";
import { MAX_RESULTS, listResponse, parsePagination, parseSortOrder } from "./list-response.js";
import { LIST_RESPONSE_SCHEMA } from "./schema/index.js";

describe("listResponse (RFC 7644 §3.4.2.4)", () => {
  it("Entra Test Connection: an empty result is 200 with Resources: [] and integer counts", () => {
    const body = listResponse([], 0, 1);
    expect(body).toEqual({ schemas: [LIST_RESPONSE_SCHEMA], totalResults: 0, startIndex: 1, itemsPerPage: 0, Resources: [] });
    expect(JSON.stringify(body)).toBe(
      `{"schemas":["${LIST_RESPONSE_SCHEMA}"],"totalResults":0,"startIndex":1,"itemsPerPage":0,"Resources":[]}`,
    );
  });
  it("Okta: itemsPerPage is the number returned, startIndex echoed, all JSON integers", () => {
    const body = listResponse([{ id: "a" }, { id: "b" }], 12, 6);
    expect(body.itemsPerPage).toBe(2);
    expect(body.startIndex).toBe(6);
    expect(body.totalResults).toBe(12);
    for (const k of ["totalResults", "startIndex", "itemsPerPage"] as const) expect(Number.isInteger(body[k])).toBe(true);
  });
});

describe("parsePagination", () => {
  it("defaults: startIndex 1, count = maxResults", () => {
    expect(parsePagination(undefined, undefined)).toEqual({ startIndex: 1, count: MAX_RESULTS });
  });
  it("parses query strings (Microsoft's Logic App validation walks startIndex=N&count=5)", () => {
    expect(parsePagination("6", "5")).toEqual({ startIndex: 6, count: 5 });
    expect(parsePagination(101, 100)).toEqual({ startIndex: 101, count: 100 });
  });
  it("startIndex < 1 → 1; non-numeric → default", () => {
    expect(parsePagination("0", "5").startIndex).toBe(1);
    expect(parsePagination("-3", "5").startIndex).toBe(1);
    expect(parsePagination("abc", "xyz")).toEqual({ startIndex: 1, count: MAX_RESULTS });
  });
  it("negative count → 0, count 0 allowed, clamped to maxResults", () => {
    expect(parsePagination("1", "-1").count).toBe(0);
    expect(parsePagination("1", "0").count).toBe(0);
    expect(parsePagination("1", "100000").count).toBe(MAX_RESULTS);
    expect(parsePagination("1", undefined, 50).count).toBe(50);
  });
});

describe("parseSortOrder (RFC 7644 §3.4.2.3)", () => {
  it("defaults to ascending, case-insensitive, else invalidValue", () => {
    expect(parseSortOrder(undefined)).toBe("ascending");
    expect(parseSortOrder("Descending")).toBe("descending");
    expect(() => parseSortOrder("up")).toThrow(ScimError);
  });
});
