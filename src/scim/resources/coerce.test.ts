import { describe, expect, it } from "vitest";
import { attribute, complex } from "../schema/build.js";
import { coerceAttribute } from "./coerce.js";
import { thrownScimType } from "../../../test/support/thrown-scim-error.js";

describe("coerceAttribute (RFC 7643 §2.3 data types)", () => {
  it("integer and decimal accept numbers and numeric strings", () => {
    const int = attribute("n", { type: "integer" });
    expect(coerceAttribute(int, 5)).toBe(5);
    expect(coerceAttribute(int, "42")).toBe(42);
    expect(thrownScimType(() => coerceAttribute(int, 1.5))).toBe("invalidValue");
    expect(thrownScimType(() => coerceAttribute(int, "x"))).toBe("invalidValue");
    const dec = attribute("d", { type: "decimal" });
    expect(coerceAttribute(dec, "1.25")).toBe(1.25);
  });
  it("dateTime must be xsd:dateTime and is kept as sent", () => {
    const dt = attribute("t", { type: "dateTime" });
    expect(coerceAttribute(dt, "2010-01-23T04:56:22Z")).toBe("2010-01-23T04:56:22Z");
    expect(coerceAttribute(dt, "2010-01-23T04:56:22.123+02:00")).toBe("2010-01-23T04:56:22.123+02:00");
    expect(thrownScimType(() => coerceAttribute(dt, "yesterday"))).toBe("invalidValue");
  });
  it("strings stringify numbers and booleans, reject objects and arrays", () => {
    const s = attribute("s");
    expect(coerceAttribute(s, 55555555555)).toBe("55555555555");
    expect(thrownScimType(() => coerceAttribute(s, { a: 1 }))).toBe("invalidValue");
    expect(thrownScimType(() => coerceAttribute(s, ["a"]))).toBe("invalidValue");
  });
  it("reference must be a string", () => {
    expect(thrownScimType(() => coerceAttribute(attribute("r", { type: "reference" }), 5))).toBe("invalidValue");
  });
  it("complex drops unknown sub-attributes and becomes absent when empty", () => {
    const c = complex("c", [attribute("a"), attribute("b", { type: "boolean" })]);
    expect(coerceAttribute(c, { A: "x", B: "False", zz: 1 })).toEqual({ a: "x", b: false });
    expect(coerceAttribute(c, { zz: 1, a: null })).toBeUndefined();
    expect(thrownScimType(() => coerceAttribute(c, 5))).toBe("invalidValue");
  });
  it("multi-valued: null / [] absent, nulls inside dropped, too many values refused", () => {
    const m = attribute("m", { multiValued: true });
    expect(coerceAttribute(m, [])).toBeUndefined();
    expect(coerceAttribute(m, null)).toBeUndefined();
    expect(coerceAttribute(m, ["a", null, "b"])).toEqual(["a", "b"]);
    expect(coerceAttribute(m, "a")).toEqual(["a"]);
    expect(thrownScimType(() => coerceAttribute(m, Array.from({ length: 101 }, (_, i) => String(i))))).toBe("invalidValue");
  });
});
