import { describe, expect, it } from "vitest";
import { DEFAULT_VENDOR_CONFIG } from "../env.js";
import { isExcluded, parseAttributeList, project } from "./projection.js";
import { ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, USER_SCHEMA, resourceDefinitions } from "./schema/index.js";

const { user, group } = resourceDefinitions(DEFAULT_VENDOR_CONFIG);
const VENDOR = DEFAULT_VENDOR_CONFIG.userExtensionUrn;

const alice = {
  schemas: [USER_SCHEMA, ENTERPRISE_USER_SCHEMA, VENDOR],
  id: "u1",
  externalId: "e1",
  userName: "alice@contoso.com",
  name: { givenName: "Alice", familyName: "Smith" },
  active: true,
  emails: [
    { value: "alice@contoso.com", type: "work", primary: true },
    { value: "a@home.org", type: "home" },
  ],
  password: "must-never-appear",
  [ENTERPRISE_USER_SCHEMA]: { department: "R&D", manager: { value: "m1" } },
  [VENDOR]: { location: "Berlin" },
  meta: { resourceType: "User", created: "2026-01-01T00:00:00Z", location: "https://x/Users/u1" },
};

describe("parseAttributeList", () => {
  it("splits on commas and trims", () => {
    expect(parseAttributeList(" userName , name.givenName,,")).toEqual(["userName", "name.givenName"]);
    expect(parseAttributeList(undefined)).toBeUndefined();
    expect(parseAttributeList("")).toBeUndefined();
  });
  it("does not split inside a value filter, and takes SearchRequest arrays", () => {
    expect(parseAttributeList('emails[type eq "a,b"],userName')).toEqual(['emails[type eq "a,b"]', "userName"]);
    expect(parseAttributeList(["userName,displayName", "active"])).toEqual(["userName", "displayName", "active"]);
  });
});

describe("project: attributes (RFC 7644 §3.4.2.5)", () => {
  it("returns only the named attributes plus schemas and id (returned: always)", () => {
    expect(project(alice, user, { attributes: ["userName"] })).toEqual({
      schemas: alice.schemas,
      id: "u1",
      userName: "alice@contoso.com",
    });
  });
  it("names are case-insensitive, may be URN-qualified or name sub-attributes", () => {
    expect(
      project(alice, user, {
        attributes: [
          "NAME.givenName",
          `${ENTERPRISE_USER_SCHEMA}:manager`,
          "urn:ietf:params:scim:schemas:core:2.0:User:active",
          "emails.value",
        ],
      }),
    ).toEqual({
      schemas: alice.schemas,
      id: "u1",
      name: { givenName: "Alice" },
      active: true,
      emails: [{ value: "alice@contoso.com" }, { value: "a@home.org" }],
      [ENTERPRISE_USER_SCHEMA]: { manager: { value: "m1" } },
    });
  });
  it("a whole extension URN selects the whole extension", () => {
    expect(project(alice, user, { attributes: [VENDOR] })).toEqual({ schemas: alice.schemas, id: "u1", [VENDOR]: { location: "Berlin" } });
  });
  it('tolerates emails[type eq "work"] (SCIMReferenceCode Postman collection) as emails', () => {
    expect(project(alice, user, { attributes: ['emails[type eq "work"]'] })["emails"]).toEqual(alice.emails);
  });
  it("ignores unknown names", () => {
    expect(project(alice, user, { attributes: ["shoeSize", "userName"] })).toEqual({
      schemas: alice.schemas,
      id: "u1",
      userName: "alice@contoso.com",
    });
  });
});

describe("project: excludedAttributes and returned characteristics (RFC 7643 §7)", () => {
  it("returns the default set minus the excluded ones", () => {
    const out = project(alice, user, { excludedAttributes: ["emails", "name.familyName", `${VENDOR}:location`] });
    expect(out).not.toHaveProperty("emails");
    expect(out["name"]).toEqual({ givenName: "Alice" });
    expect(out).not.toHaveProperty(VENDOR);
    expect(out["userName"]).toBe("alice@contoso.com");
    expect(out["meta"]).toEqual(alice.meta);
  });
  it("never removes id or schemas", () => {
    const out = project(alice, user, { excludedAttributes: ["id", "schemas", "userName"] });
    expect(out["id"]).toBe("u1");
    expect(out["schemas"]).toEqual(alice.schemas);
    expect(out).not.toHaveProperty("userName");
  });
  it("returned: never (password) never appears, even when asked for", () => {
    expect(project(alice, user, {})).not.toHaveProperty("password");
    expect(project(alice, user, { attributes: ["password"] })).not.toHaveProperty("password");
  });
  it("with no query, returns every default attribute", () => {
    const { password: _password, ...expected } = alice;
    expect(project(alice, user, {})).toEqual(expected);
  });
});

describe("Entra excludedAttributes=members on groups", () => {
  const sales = {
    schemas: [GROUP_SCHEMA],
    id: "g1",
    displayName: "Sales",
    members: [{ value: "u1", $ref: "https://x/Users/u1", type: "User" }],
    meta: { resourceType: "Group" },
  };
  it("project removes members", () => {
    expect(project(sales, group, { excludedAttributes: ["members"] })).toEqual({
      schemas: [GROUP_SCHEMA],
      id: "g1",
      displayName: "Sales",
      meta: { resourceType: "Group" },
    });
  });
  it("isExcluded tells the route it can skip reading members", () => {
    expect(isExcluded({ excludedAttributes: ["Members"] }, "members", group)).toBe(true);
    expect(isExcluded({ attributes: ["displayName"] }, "members", group)).toBe(true);
    expect(isExcluded({ attributes: ["members.value"] }, "members", group)).toBe(false);
    expect(isExcluded({ excludedAttributes: ["members.display"] }, "members", group)).toBe(false);
    expect(isExcluded({}, "members", group)).toBe(false);
    expect(isExcluded({ excludedAttributes: ["id"] }, "id", group)).toBe(false);
  });
});
