import { describe, expect, it } from "vitest";
import { managerDisplayNameOf, managerIdOf, withManagerDisplayName } from "./manager.js";

const ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

describe("manager (RFC 7643 §4.3)", () => {
  it("reads the id, and sets or drops the displayName from the manager's user", () => {
    const doc = { userName: "a", [ENTERPRISE]: { department: "X", manager: { value: "m1", displayName: "forged" } } };
    expect(managerIdOf(doc)).toBe("m1");
    expect(withManagerDisplayName(doc, "Real")[ENTERPRISE]).toEqual({ department: "X", manager: { value: "m1", displayName: "Real" } });
    const dropped = withManagerDisplayName(doc, null);
    expect(dropped[ENTERPRISE]).toEqual({ department: "X", manager: { value: "m1" } });
    expect(managerDisplayNameOf(dropped)).toBeNull();
    expect(managerIdOf({ userName: "a" })).toBeUndefined();
    expect(withManagerDisplayName({ userName: "a" }, "X")).toEqual({ userName: "a" });
  });
});
