import { describe, expect, it } from "vitest";
import { DEFAULT_VENDOR_CONFIG } from "../../env.js";
import { applyTenantPolicy } from "./tenant-policy.js";
import { thrownScimError } from "../../../test/support/thrown-scim-error.js";

const config = DEFAULT_VENDOR_CONFIG;
const EXT = config.userExtensionUrn;

describe("allowedDomains (refuse external or unauthorised domains)", () => {
  const policy = { allowedDomains: ["Contoso.com", "@fabrikam.com"], locations: [] };

  it("accepts listed domains case-insensitively", () => {
    const doc = { userName: "alice@CONTOSO.COM", emails: [{ value: "a@Fabrikam.com" }] };
    expect(applyTenantPolicy(doc, policy, config)).toEqual(doc);
  });
  it("refuses the userName domain, naming it", () => {
    const err = thrownScimError(() => applyTenantPolicy({ userName: "eve@evil.com" }, policy, config));
    expect(err.status).toBe(400);
    expect(err.scimType).toBe("invalidValue");
    expect(err.message).toContain("evil.com");
  });
  it("matches domains exactly: a subdomain is not allowed", () => {
    expect(thrownScimError(() => applyTenantPolicy({ userName: "a@sub.contoso.com" }, policy, config)).message).toContain("sub.contoso.com");
  });
  it("uses the part after the last @", () => {
    expect(thrownScimError(() => applyTenantPolicy({ userName: "a@contoso.com@evil.com" }, policy, config)).message).toContain("evil.com");
  });
  it("checks every email", () => {
    const err = thrownScimError(() =>
      applyTenantPolicy({ userName: "a@contoso.com", emails: [{ value: "a@contoso.com" }, { value: "b@gmail.com" }] }, policy, config),
    );
    expect(err.message).toContain("gmail.com");
  });
  it("a userName without @ carries no domain and passes", () => {
    expect(applyTenantPolicy({ userName: "alice" }, policy, config)).toEqual({ userName: "alice" });
  });
  it("an empty list allows any domain", () => {
    expect(applyTenantPolicy({ userName: "a@any.org" }, { allowedDomains: [], locations: [] }, config)).toEqual({ userName: "a@any.org" });
  });
});

describe("locations (unknown location → Default)", () => {
  const policy = { allowedDomains: [], locations: ["Berlin", "Paris"] };

  it("stores a listed value with the list's spelling", () => {
    expect(applyTenantPolicy({ userName: "a", [EXT]: { location: "berlin" } }, policy, config)).toEqual({
      userName: "a",
      [EXT]: { location: "Berlin" },
    });
  });
  it('stores an unlisted value as "Default" and leaves the input untouched', () => {
    const extension = { location: "Tokyo", notificationPhoneNumber: "+1" };
    const out = applyTenantPolicy({ userName: "a", [EXT]: extension }, policy, config);
    expect(out[EXT]).toEqual({ location: "Default", notificationPhoneNumber: "+1" });
    expect(extension.location).toBe("Tokyo");
  });
  it("leaves an absent location absent, and any value when the list is empty", () => {
    expect(applyTenantPolicy({ userName: "a" }, policy, config)).toEqual({ userName: "a" });
    const doc = { userName: "a", [EXT]: { location: "Tokyo" } };
    expect(applyTenantPolicy(doc, { allowedDomains: [], locations: [] }, config)).toEqual(doc);
  });
});

describe("PUT and PATCH: only the values the request changes are judged", () => {
  const policy = { allowedDomains: ["contoso.com"], locations: ["Berlin"] };
  const previous = { userName: "ann@fabrikam.com", emails: [{ value: "ann@fabrikam.com" }], active: true, [EXT]: { location: "Paris" } };

  it("a kept userName, email and location are not judged (disabling always goes through)", () => {
    const next = { ...previous, active: false };
    expect(applyTenantPolicy(next, policy, config, previous)).toEqual(next);
  });
  it("a changed userName or a new email is judged", () => {
    expect(thrownScimError(() => applyTenantPolicy({ ...previous, userName: "ann@other.example" }, policy, config, previous)).scimType).toBe("invalidValue");
    const added = { ...previous, emails: [...previous.emails, { value: "x@other.example" }] };
    expect(thrownScimError(() => applyTenantPolicy(added, policy, config, previous)).message).toContain("other.example");
  });
  it("a changed location is mapped by today's list", () => {
    expect(applyTenantPolicy({ ...previous, [EXT]: { location: "rome" } }, policy, config, previous)[EXT]).toEqual({ location: "Default" });
  });
});
