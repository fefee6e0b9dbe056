import { describe, expect, it } from "vitest";
import { parsePatchRequest } from "./parse.js";
import { thrownScimType } from "../../../test/support/thrown-scim-error.js";

const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

describe("parsePatchRequest: RFC 7644 §3.5.2 message", () => {
  it("reads add, replace and remove with paths and values, in order", () => {
    const ops = parsePatchRequest({
      schemas: [PATCH_OP],
      Operations: [
        { op: "add", path: "nickName", value: "Babs" },
        { op: "replace", path: 'emails[type eq "work"].value', value: "a@x.com" },
        { op: "remove", path: "title" },
      ],
    });
    expect(ops.map((o) => o.op)).toEqual(["add", "replace", "remove"]);
    expect(ops[0]).toEqual({ op: "add", rawPath: "nickName", path: { path: { attribute: "nickName" } }, value: "Babs" });
    expect(ops[1]?.path?.path.attribute).toBe("emails");
    expect(ops[1]?.path?.filter?.kind).toBe("compare");
    expect(ops[1]?.path?.subAttribute).toBe("value");
    expect(ops[2]).toEqual({ op: "remove", rawPath: "title", path: { path: { attribute: "title" } } });
  });

  it("keeps a path-less add/replace value as sent", () => {
    const [op] = parsePatchRequest({ schemas: [PATCH_OP], Operations: [{ op: "replace", value: { active: false } }] });
    expect(op).toEqual({ op: "replace", value: { active: false } });
  });

  it("parses an extension-URN path, splitting at the last ':'", () => {
    const [op] = parsePatchRequest({
      Operations: [{ op: "add", path: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", value: "Retail" }],
    });
    expect(op?.path?.path).toEqual({ urn: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", attribute: "department" });
  });

  it("keeps null as a value (it clears the attribute)", () => {
    const [op] = parsePatchRequest({ Operations: [{ op: "replace", path: "title", value: null }] });
    expect(op).toHaveProperty("value", null);
  });
});

describe("parsePatchRequest: Entra tolerance (both PATCH dialects)", () => {
  it("accepts capitalised ops: Add, Replace, Remove", () => {
    const ops = parsePatchRequest({
      schemas: [PATCH_OP],
      Operations: [
        { op: "Add", path: "nickName", value: "x" },
        { op: "Replace", path: "active", value: "False" },
        { op: "REMOVE", path: "title" },
      ],
    });
    expect(ops.map((o) => o.op)).toEqual(["add", "replace", "remove"]);
  });

  it("accepts an empty Operations array as a no-op (Microsoft's SCIM Validator sends one)", () => {
    expect(parsePatchRequest({ schemas: [PATCH_OP], Operations: [] })).toEqual([]);
  });

  it("accepts a body without schemas", () => {
    expect(parsePatchRequest({ Operations: [{ op: "replace", path: "displayName", value: "Sales EMEA" }] })).toHaveLength(1);
  });

  it("matches Operations, op, path and value keys case-insensitively", () => {
    const ops = parsePatchRequest({ SCHEMAS: [PATCH_OP], operations: [{ Op: "replace", Path: "title", Value: "Boss" }] });
    expect(ops).toEqual([{ op: "replace", rawPath: "title", path: { path: { attribute: "title" } }, value: "Boss" }]);
  });

  it("accepts the PatchOp URN in any case", () => {
    expect(parsePatchRequest({ schemas: [PATCH_OP.toUpperCase()], Operations: [] })).toEqual([]);
  });

  it("keeps the value of Remove (Entra removes only these members/values)", () => {
    const [op] = parsePatchRequest({ Operations: [{ op: "Remove", path: "members", value: [{ value: "u1091" }] }] });
    expect(op).toMatchObject({ op: "remove", value: [{ value: "u1091" }] });
  });

  it("reads an empty path as no path", () => {
    const [op] = parsePatchRequest({ Operations: [{ op: "replace", path: "", value: { active: true } }] });
    expect(op).toEqual({ op: "replace", value: { active: true } });
  });
});

describe("parsePatchRequest: errors (RFC 7644 §3.12)", () => {
  it("rejects a body that is not an object with invalidSyntax", () => {
    expect(thrownScimType(() => parsePatchRequest(null))).toBe("invalidSyntax");
    expect(thrownScimType(() => parsePatchRequest("x"))).toBe("invalidSyntax");
    expect(thrownScimType(() => parsePatchRequest([{ op: "add" }]))).toBe("invalidSyntax");
  });

  it("rejects schemas without the PatchOp URN", () => {
    expect(thrownScimType(() => parsePatchRequest({ schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"], Operations: [] }))).toBe(
      "invalidSyntax",
    );
    expect(thrownScimType(() => parsePatchRequest({ schemas: PATCH_OP, Operations: [] }))).toBe("invalidSyntax");
  });

  it("rejects missing or non-array Operations", () => {
    expect(thrownScimType(() => parsePatchRequest({ schemas: [PATCH_OP] }))).toBe("invalidSyntax");
    expect(thrownScimType(() => parsePatchRequest({ Operations: { op: "add" } }))).toBe("invalidSyntax");
  });

  it("rejects a missing, non-string or unknown op", () => {
    expect(thrownScimType(() => parsePatchRequest({ Operations: [{ path: "title", value: "x" }] }))).toBe("invalidSyntax");
    expect(thrownScimType(() => parsePatchRequest({ Operations: [{ op: 1, path: "title", value: "x" }] }))).toBe("invalidSyntax");
    expect(thrownScimType(() => parsePatchRequest({ Operations: [{ op: "move", path: "title", value: "x" }] }))).toBe("invalidSyntax");
    expect(thrownScimType(() => parsePatchRequest({ Operations: ["add"] }))).toBe("invalidSyntax");
  });

  it("rejects remove without path with noTarget (RFC 7644 §3.5.2.2)", () => {
    expect(thrownScimType(() => parsePatchRequest({ Operations: [{ op: "remove" }] }))).toBe("noTarget");
    expect(thrownScimType(() => parsePatchRequest({ Operations: [{ op: "Remove", value: { title: "x" } }] }))).toBe("noTarget");
  });

  it("rejects add/replace without value with invalidSyntax", () => {
    expect(thrownScimType(() => parsePatchRequest({ Operations: [{ op: "add", path: "title" }] }))).toBe("invalidSyntax");
    expect(thrownScimType(() => parsePatchRequest({ Operations: [{ op: "replace" }] }))).toBe("invalidSyntax");
  });

  it("rejects a malformed path with invalidPath", () => {
    expect(thrownScimType(() => parsePatchRequest({ Operations: [{ op: "replace", path: 'emails[type eq "work"', value: "x" }] }))).toBe(
      "invalidPath",
    );
    expect(thrownScimType(() => parsePatchRequest({ Operations: [{ op: "replace", path: 42, value: "x" }] }))).toBe("invalidPath");
  });
});
