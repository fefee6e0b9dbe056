import { describe, expect, it } from "vitest";
import { DEFAULT_VENDOR_CONFIG } from "../../env.js";
import { resolvePath, resourceDefinitions } from "./resources.js";

const { user } = resourceDefinitions(DEFAULT_VENDOR_CONFIG);

describe("resolvePath (RFC 7644 §3.10 attribute notation)", () => {
  it("resolves core attributes case-insensitively", () => {
    expect(resolvePath(user, "USERNAME")?.attribute?.name).toBe("userName");
    expect(resolvePath(user, "name.GivenName")?.subAttribute?.name).toBe("givenName");
  });
  it("resolves URN-qualified extension paths, splitting at the last ':'", () => {
    const r = resolvePath(user, "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value");
    expect(r?.isExtension).toBe(true);
    expect(r?.attribute?.name).toBe("manager");
    expect(r?.subAttribute?.name).toBe("value");
  });
  it("resolves a bare extension URN to the whole extension", () => {
    const r = resolvePath(user, "urn:ietf:params:scim:schemas:extension:klaxon:2.0:User");
    expect(r?.isExtension).toBe(true);
    expect(r?.attribute).toBeUndefined();
  });
  it("resolves common attributes and rejects unknown ones", () => {
    expect(resolvePath(user, "meta.lastModified")?.subAttribute?.type).toBe("dateTime");
    expect(resolvePath(user, "urn:ietf:params:scim:schemas:core:2.0:User:userName")?.attribute?.name).toBe("userName");
    expect(resolvePath(user, "shoeSize")).toBeUndefined();
    expect(resolvePath(user, "name.shoeSize")).toBeUndefined();
    expect(resolvePath(user, "urn:example:unknown:Thing:x")).toBeUndefined();
  });
});
