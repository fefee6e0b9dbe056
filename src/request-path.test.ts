import { describe, expect, it } from "vitest";
import { scimAwarePath } from "./request-path.js";

const path = (p: string) => scimAwarePath(new Request(`http://local.test${p}`));

describe("scimAwarePath", () => {
  it("canonicalises the endpoint names of a Tenant URL, in any case", () => {
    expect(path("/tenants/acme/scim/v2/users")).toBe("/tenants/acme/scim/v2/Users");
    expect(path("/tenants/acme/scim/v2/GROUPS/abc")).toBe("/tenants/acme/scim/v2/Groups/abc");
    expect(path("/tenants/acme/scim/v2/serviceproviderconfig")).toBe("/tenants/acme/scim/v2/ServiceProviderConfig");
    expect(path("/tenants/acme/scim/v2/serviceConfiguration")).toBe("/tenants/acme/scim/v2/ServiceProviderConfig");
  });
  it("folds doubled and trailing slashes, and leaves ids and other paths alone", () => {
    expect(path("/tenants/acme/scim/v2//Users/")).toBe("/tenants/acme/scim/v2/Users");
    expect(path("/tenants/acme/scim/v2/Users/AbC")).toBe("/tenants/acme/scim/v2/Users/AbC");
    expect(path("/admin/tenants/")).toBe("/admin/tenants");
  });
});
