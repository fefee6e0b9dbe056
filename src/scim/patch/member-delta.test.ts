import { describe, expect, it } from "vitest";
import { DEFAULT_VENDOR_CONFIG } from "../../env.js";
import { resourceDefinitions } from "../schema/index.js";
import { applyPatch } from "./apply.js";
import { foldMemberOperations, isMembersPath } from "./member-delta.js";
import { parsePatchRequest } from "./parse.js";
import { thrownScimType } from "../../../test/support/thrown-scim-error.js";

const { user, group } = resourceDefinitions(DEFAULT_VENDOR_CONFIG);
const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

function fold(operations: unknown[]): ReturnType<typeof foldMemberOperations> {
  return foldMemberOperations(parsePatchRequest({ schemas: [PATCH_OP], Operations: operations }));
}

describe("foldMemberOperations: Entra group shapes (default and aadOptscim062020 dialects)", () => {
  it("Add members with several values adds them all", () => {
    const { memberOps, otherOps } = fold([
      { op: "Add", path: "members", value: [{ $ref: null, value: "f648f8d5ea4e4cd38e9c" }, { $ref: null, value: "a1" }] },
    ]);
    expect(memberOps).toEqual({ replaceAll: false, add: ["f648f8d5ea4e4cd38e9c", "a1"], remove: [] });
    expect(otherOps).toEqual([]);
  });

  it("default dialect Remove members with a value removes ONLY those members, never all", () => {
    const { memberOps } = fold([{ op: "Remove", path: "members", value: [{ $ref: null, value: "f648f8d5ea4e4cd38e9c" }] }]);
    expect(memberOps).toEqual({ replaceAll: false, add: [], remove: ["f648f8d5ea4e4cd38e9c"] });
  });

  it("aadOptscim062020 remove members[value eq \"id\"] removes that member", () => {
    const { memberOps } = fold([{ op: "remove", path: 'members[value eq "7f4bc1a3-285e-48ae-8202-5accb43efb0e"]' }]);
    expect(memberOps).toEqual({ replaceAll: false, add: [], remove: ["7f4bc1a3-285e-48ae-8202-5accb43efb0e"] });
  });

  it("Remove members without value or filter removes all (SCIMReferenceCode Postman \"Patch remove all users\")", () => {
    const { memberOps } = fold([{ op: "Remove", path: "members" }]);
    expect(memberOps).toEqual({ replaceAll: true, add: [], remove: [] });
  });

  it("adding an existing member again is not duplicated", () => {
    const { memberOps } = fold([
      { op: "Add", path: "members", value: [{ value: "u1" }, { value: "u1" }] },
      { op: "Add", path: "members", value: [{ value: "u1" }] },
    ]);
    expect(memberOps).toEqual({ replaceAll: false, add: ["u1"], remove: [] });
  });

  it("a rename and a member add in one PATCH are split: displayName stays an operation", () => {
    const { memberOps, otherOps } = fold([
      { op: "Replace", path: "displayName", value: "Sales EMEA" },
      { op: "Add", path: "members", value: [{ value: "u1" }] },
    ]);
    expect(memberOps).toEqual({ replaceAll: false, add: ["u1"], remove: [] });
    expect(otherOps).toEqual([{ op: "replace", rawPath: "displayName", path: { path: { attribute: "displayName" } }, value: "Sales EMEA" }]);
  });

  it("matches members case-insensitively and with the core Group URN", () => {
    const { memberOps } = fold([
      { op: "add", path: "Members", value: [{ value: "u1" }] },
      { op: "add", path: "urn:ietf:params:scim:schemas:core:2.0:Group:members", value: [{ value: "u2" }] },
    ]);
    expect(memberOps?.add).toEqual(["u1", "u2"]);
  });

  it("reads the member id from a `Value` key written in another case", () => {
    expect(fold([{ op: "add", path: "members", value: [{ Value: "u1" }] }]).memberOps?.add).toEqual(["u1"]);
  });
});

describe("foldMemberOperations: Okta group push", () => {
  it("rename with the read-only id in the value: displayName goes to otherOps, no member delta", () => {
    const { memberOps, otherOps } = fold([{ op: "replace", value: { id: "abf4dd94-0000", displayName: "Test SCIMv2" } }]);
    expect(memberOps).toBeUndefined();
    expect(otherOps).toEqual([{ op: "replace", value: { id: "abf4dd94-0000", displayName: "Test SCIMv2" } }]);
    // ... and applyPatch ignores the id.
    expect(applyPatch({ displayName: "Old" }, otherOps, group)).toEqual({ displayName: "Test SCIMv2" });
  });

  it("membership delta: remove by filter then add with display", () => {
    const { memberOps } = fold([
      { op: "remove", path: 'members[value eq "89bb1940-b905-4575-9e7f-6f887cfb368e"]' },
      { op: "add", path: "members", value: [{ value: "23a35c27-0000", display: "test.user@okta.local" }] },
    ]);
    expect(memberOps).toEqual({ replaceAll: false, add: ["23a35c27-0000"], remove: ["89bb1940-b905-4575-9e7f-6f887cfb368e"] });
  });

  it("full membership push: replace members resets the list", () => {
    const { memberOps } = fold([{ op: "replace", path: "members", value: [{ value: "a" }, { value: "b" }] }]);
    expect(memberOps).toEqual({ replaceAll: true, add: ["a", "b"], remove: [] });
  });

  it("replace members with an empty list empties the group", () => {
    expect(fold([{ op: "replace", path: "members", value: [] }]).memberOps).toEqual({ replaceAll: true, add: [], remove: [] });
  });

  it("path-less replace with a members key acts like replace members and keeps the rest", () => {
    const { memberOps, otherOps } = fold([
      { op: "replace", value: { id: "g-1", displayName: "Team", members: [{ value: "a" }, { value: "b" }] } },
    ]);
    expect(memberOps).toEqual({ replaceAll: true, add: ["a", "b"], remove: [] });
    expect(otherOps).toEqual([{ op: "replace", value: { id: "g-1", displayName: "Team" } }]);
  });

  it("path-less add with only a members key adds and leaves no other operation", () => {
    const { memberOps, otherOps } = fold([{ op: "add", value: { members: [{ value: "a" }] } }]);
    expect(memberOps).toEqual({ replaceAll: false, add: ["a"], remove: [] });
    expect(otherOps).toEqual([]);
  });

  it("splits a 1,000-member add into one delta without touching other operations", () => {
    const ids = Array.from({ length: 1000 }, (_, i) => `user-${i}`);
    const { memberOps, otherOps } = fold([
      { op: "replace", path: "displayName", value: "Big" },
      { op: "add", path: "members", value: ids.map((value) => ({ value })) },
      { op: "remove", path: "members", value: ids.slice(0, 10).map((value) => ({ value })) },
    ]);
    expect(memberOps?.replaceAll).toBe(false);
    expect(memberOps?.add).toEqual(ids.slice(10));
    expect(memberOps?.remove).toEqual(ids.slice(0, 10));
    expect(otherOps).toHaveLength(1);
  });
});

describe("foldMemberOperations: folding rules in operation order", () => {
  it("add then remove of the same id cancels the add and records the removal", () => {
    const { memberOps } = fold([
      { op: "add", path: "members", value: [{ value: "a" }, { value: "b" }] },
      { op: "remove", path: "members", value: [{ value: "a" }] },
    ]);
    expect(memberOps).toEqual({ replaceAll: false, add: ["b"], remove: ["a"] });
  });

  it("remove then add of the same id ends with the member added", () => {
    const { memberOps } = fold([
      { op: "remove", path: 'members[value eq "a"]' },
      { op: "add", path: "members", value: [{ value: "a" }] },
    ]);
    expect(memberOps).toEqual({ replaceAll: false, add: ["a"], remove: [] });
  });

  it("remove all resets earlier adds and removes; later adds build the new list", () => {
    const { memberOps } = fold([
      { op: "add", path: "members", value: [{ value: "a" }] },
      { op: "remove", path: 'members[value eq "x"]' },
      { op: "remove", path: "members" },
      { op: "add", path: "members", value: [{ value: "b" }] },
    ]);
    expect(memberOps).toEqual({ replaceAll: true, add: ["b"], remove: [] });
  });

  it("a remove after a replace takes the id out of the new list", () => {
    const { memberOps } = fold([
      { op: "replace", path: "members", value: [{ value: "a" }, { value: "b" }] },
      { op: "remove", path: "members", value: [{ value: "a" }, { value: "z" }] },
    ]);
    expect(memberOps).toEqual({ replaceAll: true, add: ["b"], remove: [] });
  });

  it("an or-filter of value eq removes each id", () => {
    const { memberOps } = fold([{ op: "remove", path: 'members[value eq "a" or value eq "b"]' }]);
    expect(memberOps?.remove).toEqual(["a", "b"]);
  });

  it("keeps the relative order of the other operations", () => {
    const { otherOps } = fold([
      { op: "replace", path: "displayName", value: "1" },
      { op: "add", path: "members", value: [{ value: "a" }] },
      { op: "replace", path: "externalId", value: "2" },
      { op: "replace", value: { displayName: "3", members: [] } },
    ]);
    expect(otherOps.map((o) => o.rawPath ?? JSON.stringify(o.value))).toEqual(["displayName", "externalId", '{"displayName":"3"}']);
  });

  it("returns no delta when no operation touches members", () => {
    expect(fold([{ op: "replace", path: "displayName", value: "x" }]).memberOps).toBeUndefined();
    expect(fold([]).memberOps).toBeUndefined();
  });
});

describe("foldMemberOperations: invalid member operations", () => {
  it("a member that is not an object with a string value → invalidValue", () => {
    expect(thrownScimType(() => fold([{ op: "add", path: "members", value: ["u1"] }]))).toBe("invalidValue");
    expect(thrownScimType(() => fold([{ op: "add", path: "members", value: [{ value: 7 }] }]))).toBe("invalidValue");
    expect(thrownScimType(() => fold([{ op: "add", path: "members", value: [{ display: "x" }] }]))).toBe("invalidValue");
    expect(thrownScimType(() => fold([{ op: "remove", path: "members", value: [{ value: "" }] }]))).toBe("invalidValue");
  });

  it("a members filter other than value eq, or a filter on add/replace → invalidPath", () => {
    expect(thrownScimType(() => fold([{ op: "remove", path: 'members[display eq "x"]' }]))).toBe("invalidPath");
    expect(thrownScimType(() => fold([{ op: "remove", path: 'members[value eq "a" and value eq "b"]' }]))).toBe("invalidPath");
    expect(thrownScimType(() => fold([{ op: "replace", path: 'members[value eq "a"]', value: { value: "b" } }]))).toBe("invalidPath");
    expect(thrownScimType(() => fold([{ op: "replace", path: "members.display", value: "x" }]))).toBe("invalidPath");
  });
});

describe("isMembersPath: lets the group route split member operations out", () => {
  it("is true for a Group members path, with or without filter", () => {
    const [add, remove, rename] = parsePatchRequest({
      Operations: [
        { op: "add", path: "members", value: [] },
        { op: "remove", path: 'members[value eq "a"]' },
        { op: "replace", path: "displayName", value: "x" },
      ],
    });
    expect(add && isMembersPath(add, group)).toBe(true);
    expect(remove && isMembersPath(remove, group)).toBe(true);
    expect(rename && isMembersPath(rename, group)).toBe(false);
    expect(add && isMembersPath(add, user)).toBe(false);
  });
});
