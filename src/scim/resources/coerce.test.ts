import { describe, expect, it } from "vitest";
import { attribute, complex } from "../schema/build.js";
import { coerceAttribute } from "./coerce.js";
import { enterpriseUserSchema } from "../schema/user.js";
import { thrownScimError, thrownScimType } from "../../../test/support/thrown-scim-error.js";

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
  it("strings take strings only (numbers, booleans, objects and arrays are invalidValue naming the attribute); booleans keep Entra's \"True\"/\"False\"", () => {
    const s = attribute("s");
    expect(coerceAttribute(s, "55555555555")).toBe("55555555555");
    for (const wrong of [55555555555, true, { a: 1 }, ["a"]]) {
      const err = thrownScimError(() => coerceAttribute(s, wrong, "emails.value"));
      expect(err.scimType).toBe("invalidValue");
      expect(err.message).toContain('"emails.value"');
    }
    const b = attribute("b", { type: "boolean" });
    expect(coerceAttribute(b, "True")).toBe(true);
    expect(coerceAttribute(b, "false")).toBe(false);
    expect(thrownScimType(() => coerceAttribute(b, 1))).toBe("invalidValue");
    expect(thrownScimType(() => coerceAttribute(b, "yes"))).toBe("invalidValue");
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
  it("complex refuses a scalar, even with a value sub-attribute (only the enterprise manager takes a bare id)", () => {
    const c = complex("c", [attribute("value"), attribute("type")]);
    expect(thrownScimError(() => coerceAttribute(c, "x")).message).toContain('"c"');
    expect(thrownScimType(() => coerceAttribute(c, [{ value: "x" }]))).toBe("invalidValue");
    const manager = enterpriseUserSchema.attributes.find((a) => a.name === "manager")!;
    expect(coerceAttribute(manager, "m1")).toEqual({ value: "m1" });
    expect(coerceAttribute(manager, [{ value: "m1" }])).toEqual({ value: "m1" });
    expect(thrownScimType(() => coerceAttribute(manager, 42))).toBe("invalidValue");
  });
  it("multi-valued: null / [] absent, nulls inside dropped, too many values refused", () => {
    const m = attribute("m", { multiValued: true });
    expect(coerceAttribute(m, [])).toBeUndefined();
    expect(coerceAttribute(m, null)).toBeUndefined();
    expect(coerceAttribute(m, ["a", null, "b"])).toEqual(["a", "b"]);
    expect(thrownScimError(() => coerceAttribute(m, "a")).message).toContain("multi-valued");
    const emails = complex("emails", [attribute("value")], { multiValued: true });
    expect(coerceAttribute(emails, { value: "a@b.c" })).toEqual([{ value: "a@b.c" }]);
    expect(thrownScimType(() => coerceAttribute(emails, "a@b.c"))).toBe("invalidValue");
    expect(thrownScimType(() => coerceAttribute(m, Array.from({ length: 101 }, (_, i) => String(i))))).toBe("invalidValue");
  });
});
