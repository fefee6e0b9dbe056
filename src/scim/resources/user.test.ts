import { describe, expect, it } from "vitest";
import { DEFAULT_VENDOR_CONFIG } from "../../env.js";
import { ENTERPRISE_USER_SCHEMA, USER_SCHEMA, resourceDefinitions } from "../schema/index.js";
import { parseUserResource, renderUser, userKeys, validateUserDoc } from "./user.js";
import { thrownScimError } from "../../../test/support/thrown-scim-error.js";

const { user } = resourceDefinitions(DEFAULT_VENDOR_CONFIG);
const VENDOR = DEFAULT_VENDOR_CONFIG.userExtensionUrn;

const meta = {
  id: "u1",
  created: "2026-01-01T00:00:00Z",
  lastModified: "2026-01-02T00:00:00Z",
  version: 'W/"v1"',
  location: "https://scim.example/tenants/acme/scim/v2/Users/u1",
};

describe("Entra ID POST /Users", () => {
  it("accepts Microsoft's documented create payload: client meta ignored, roles: [] absent", () => {
    const doc = parseUserResource(
      {
        schemas: [USER_SCHEMA, ENTERPRISE_USER_SCHEMA],
        externalId: "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
        userName: "Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee",
        active: true,
        emails: [{ primary: true, type: "work", value: "test.user@contoso.com" }],
        meta: { resourceType: "User" },
        name: { formatted: "givenName familyName", familyName: "familyName", givenName: "givenName" },
        roles: [],
      },
      user,
    );
    expect(doc).toEqual({
      externalId: "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
      userName: "Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee",
      name: { formatted: "givenName familyName", familyName: "familyName", givenName: "givenName" },
      active: true,
      emails: [{ value: "test.user@contoso.com", type: "work", primary: true }],
    });
    expect(doc).not.toHaveProperty("meta");
    expect(doc).not.toHaveProperty("roles");
  });

  it("treats explicit nulls of older payloads as absent", () => {
    const doc = parseUserResource(
      { userName: "a@contoso.com", addresses: null, phoneNumbers: null, title: null, manager: null, displayName: "" },
      user,
    );
    expect(doc).toEqual({ userName: "a@contoso.com" });
  });

  it("ignores schemas entirely, even Microsoft's misspelled enterprise URN", () => {
    const doc = parseUserResource({ schemas: ["urn:ietf:params:scim:schemas:extension:enterprise:2.0User"], userName: "a" }, user);
    expect(doc).toEqual({ userName: "a" });
  });

  it('accepts active as the string "True" / "False" (SCIMReferenceCode Postman "string True")', () => {
    expect(parseUserResource({ userName: "a", active: "True" }, user)["active"]).toBe(true);
    expect(parseUserResource({ userName: "a", active: "False" }, user)["active"]).toBe(false);
    expect(parseUserResource({ userName: "a", active: "FALSE" }, user)["active"]).toBe(false);
    expect(thrownScimError(() => parseUserResource({ userName: "a", active: "yes" }, user)).scimType).toBe("invalidValue");
  });

  it("reads a custom extension object whose URN is missing from schemas (as Entra sends it)", () => {
    const doc = parseUserResource(
      { schemas: [USER_SCHEMA, ENTERPRISE_USER_SCHEMA], userName: "a", [VENDOR]: { location: "Berlin" } },
      user,
    );
    expect(doc[VENDOR]).toEqual({ location: "Berlin" });
  });

  it("reads URN-qualified flat keys and spells the extension key as the schema id", () => {
    const doc = parseUserResource(
      {
        userName: "a",
        [`${VENDOR.toUpperCase()}:LOCATION`]: "Berlin",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department": "Sales",
        "urn:ietf:params:scim:schemas:core:2.0:User:displayName": "Alice",
      },
      user,
    );
    expect(doc[VENDOR]).toEqual({ location: "Berlin" });
    expect(doc[ENTERPRISE_USER_SCHEMA]).toEqual({ department: "Sales" });
    expect(doc["displayName"]).toBe("Alice");
  });

  it("drops unknown attributes (misspelled attribute → 200) and accepts undeclared URNs without data", () => {
    const ADSCIM = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/User";
    const doc = parseUserResource(
      {
        schemas: [USER_SCHEMA, ADSCIM],
        userName: "a",
        [ADSCIM]: {},
        "urn:ietf:params:scim:schemas:extension:acme:2.0:User": { location: null },
        "urn:ietf:params:scim:schemas:extension:acme:2.0:User:location": "",
        [`${ENTERPRISE_USER_SCHEMA}:costCentre`]: "x",
        emialz: [{ value: "x@y" }],
      },
      user,
    );
    expect(doc).toEqual({ userName: "a" });
  });

  it("refuses data under an undeclared schema URN, naming it and the declared ones", () => {
    for (const [key, value] of [
      ["http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/User", { foo: "bar" }],
      ["urn:ietf:params:scim:schemas:extension:acme:2.0:User", { location: "x" }],
      ["urn:ietf:params:scim:schemas:extension:acme:2.0:User:location", "x"],
    ] as const) {
      const err = thrownScimError(() => parseUserResource({ userName: "a", [key]: value }, user));
      expect(err.scimType).toBe("invalidValue");
      expect(err.message).toContain(key.endsWith(":location") ? key.slice(0, -":location".length) : key);
      expect(err.message).toContain(ENTERPRISE_USER_SCHEMA);
      expect(err.message).toContain(VENDOR);
    }
  });

  it("validateUserDoc drops stored data under a URN no longer declared (a PATCH must not fail on it)", () => {
    expect(validateUserDoc({ userName: "a", "urn:ietf:params:scim:schemas:extension:old:2.0:User": { x: "y" } }, user)).toEqual({
      userName: "a",
    });
  });

  it("maps keys case-insensitively to canonical names (SCIMReferenceCode Postman sends Primary, Value, Department)", () => {
    const doc = parseUserResource(
      {
        USERNAME: "a",
        Emails: [{ Primary: "true", Value: "a@b.c", Type: "work" }],
        [ENTERPRISE_USER_SCHEMA.toLowerCase()]: { Department: "R&D", Manager: { Value: "m1" } },
        "name.givenName": "Al",
      },
      user,
    );
    expect(doc).toEqual({
      userName: "a",
      name: { givenName: "Al" },
      emails: [{ value: "a@b.c", type: "work", primary: true }],
      [ENTERPRISE_USER_SCHEMA]: { department: "R&D", manager: { value: "m1" } },
    });
  });
});

describe("enterprise manager shapes (SCIM-SDK #686, Budibase #15369)", () => {
  const managerOf = (manager: unknown) =>
    (parseUserResource({ userName: "a", [ENTERPRISE_USER_SCHEMA]: { manager } }, user)[ENTERPRISE_USER_SCHEMA] as
      | Record<string, unknown>
      | undefined)?.["manager"];

  it("a bare string id becomes {value}", () => {
    expect(managerOf("m1")).toEqual({ value: "m1" });
  });
  it("{value, $ref} is kept; readOnly displayName is dropped", () => {
    expect(managerOf({ value: "m1", $ref: "../Users/m1", displayName: "Boss" })).toEqual({ value: "m1", $ref: "../Users/m1" });
  });
  it("[{value}] is unwrapped", () => {
    expect(managerOf([{ value: "m1" }])).toEqual({ value: "m1" });
  });
  it('empty value ("Replace with empty") clears the manager', () => {
    expect(managerOf({ value: "" })).toBeUndefined();
    expect(managerOf("")).toBeUndefined();
  });
  it("the flat URN key form works too", () => {
    const doc = parseUserResource({ userName: "a", [`${ENTERPRISE_USER_SCHEMA}:manager`]: "m2" }, user);
    expect(doc[ENTERPRISE_USER_SCHEMA]).toEqual({ manager: { value: "m2" } });
  });
});

describe("Okta POST /Users", () => {
  it("drops password and ignores groups: []", () => {
    const doc = parseUserResource(
      {
        schemas: [USER_SCHEMA],
        userName: "test.user@okta.local",
        name: { givenName: "Test", familyName: "User" },
        emails: [{ primary: true, value: "test.user@okta.local", type: "work" }],
        displayName: "Test User",
        locale: "en-US",
        externalId: "00ujl29u0le5T6Aj10h7",
        groups: [],
        password: "1mz050nq",
        active: true,
      },
      user,
    );
    expect(doc).not.toHaveProperty("password");
    expect(doc).not.toHaveProperty("groups");
    expect(doc["locale"]).toBe("en-US");
    expect(JSON.stringify(doc)).not.toContain("1mz050nq");
  });

  it("PUT with the whole object read back (id, meta, groups) is accepted", () => {
    const doc = parseUserResource(
      { id: "u1", meta: { version: 'W/"x"' }, groups: [{ value: "g1" }], userName: "a", active: false },
      user,
    );
    expect(doc).toEqual({ userName: "a", active: false });
  });
});

describe("request validation", () => {
  it("a body that is not an object is invalidSyntax", () => {
    expect(thrownScimError(() => parseUserResource([], user)).scimType).toBe("invalidSyntax");
    expect(thrownScimError(() => parseUserResource("x", user)).scimType).toBe("invalidSyntax");
  });
  it("userName is required and non-empty (SCIMReferenceCode Postman 'Put a user no username' → 400)", () => {
    const err = thrownScimError(() => parseUserResource({ displayName: "x" }, user));
    expect(err.status).toBe(400);
    expect(err.scimType).toBe("invalidValue");
    expect(err.message).toBe("userName is required");
    expect(thrownScimError(() => parseUserResource({ userName: "  " }, user)).message).toBe("userName is required");
  });
  it("limits string lengths", () => {
    expect(thrownScimError(() => parseUserResource({ userName: "a".repeat(257) }, user)).scimType).toBe("invalidValue");
    expect(thrownScimError(() => parseUserResource({ userName: "a", title: "t".repeat(2049) }, user)).scimType).toBe("invalidValue");
  });
  it("rejects an object where a string is expected, naming the attribute", () => {
    const err = thrownScimError(() => parseUserResource({ userName: "a", displayName: { x: 1 } }, user));
    expect(err.scimType).toBe("invalidValue");
    expect(err.message).toContain("displayName");
    expect(thrownScimError(() => parseUserResource({ userName: ["a"] }, user)).message).toContain("userName");
  });
  it("rejects a number or boolean where a string is expected, and a scalar where multi-valued or complex", () => {
    for (const body of [
      { userName: 42 },
      { userName: "a", displayName: true },
      { userName: "a", emails: [{ value: 5 }] },
      { userName: "a", [ENTERPRISE_USER_SCHEMA]: { employeeNumber: 1234 } },
      { userName: "a", emails: "a@b.c" },
      { userName: "a", name: "Ann" },
    ]) {
      const err = thrownScimError(() => parseUserResource(body, user));
      expect(err.scimType).toBe("invalidValue");
    }
    expect(thrownScimError(() => parseUserResource({ userName: "a", emails: [{ value: 5 }] }, user)).message).toContain('"emails.value"');
    expect(thrownScimError(() => parseUserResource({ userName: "a", name: "Ann" }, user)).message).toContain('"name"');
  });
  it("keeps the first primary: true and sets the others to false (RFC 7643 §2.4)", () => {
    const doc = parseUserResource(
      { userName: "a", emails: [{ value: "a@x", primary: true }, { value: "b@x", primary: "True" }] },
      user,
    );
    expect(doc["emails"]).toEqual([
      { value: "a@x", primary: true },
      { value: "b@x", primary: false },
    ]);
  });
  it("wraps a single email object in an array", () => {
    expect(parseUserResource({ userName: "a", emails: { value: "a@x" } }, user)["emails"]).toEqual([{ value: "a@x" }]);
  });
  it("validateUserDoc re-checks a PATCH result", () => {
    expect(thrownScimError(() => validateUserDoc({ displayName: "x" }, user)).message).toBe("userName is required");
    expect(validateUserDoc({ userName: "a", active: "false" }, user)).toEqual({ userName: "a", active: false });
  });
});

describe("userKeys", () => {
  it("folds userName with NFKC and Unicode lower case (SQLite NOCASE is ASCII-only)", () => {
    const keys = userKeys({ userName: "ÉMILE@Contoso.com" });
    expect(keys.userNameKey).toBe("émile@contoso.com");
    expect(userKeys({ userName: "ｆｕｌｌ" }).userNameKey).toBe("full");
  });
  it("takes the first work email, type compared case-insensitively", () => {
    const keys = userKeys({
      userName: "a",
      emails: [
        { value: "home@x.com", type: "home" },
        { value: "Work@X.com", type: "Work" },
        { value: "w2@x.com", type: "work" },
      ],
    });
    expect(keys.workEmailKey).toBe("work@x.com");
    expect(userKeys({ userName: "a" }).workEmailKey).toBeNull();
  });
  it("active defaults to true when absent", () => {
    expect(userKeys({ userName: "a" }).active).toBe(true);
    expect(userKeys({ userName: "a", active: false }).active).toBe(false);
  });
  it("externalId and displayName are null when absent", () => {
    expect(userKeys({ userName: "a" })).toMatchObject({ externalId: null, displayName: null });
    expect(userKeys({ userName: "a", externalId: "E", displayName: "D" })).toMatchObject({ externalId: "E", displayName: "D" });
  });
});

describe("renderUser", () => {
  it("lists core and present extensions in schemas, with id, meta, groups and no password", () => {
    const out = renderUser(
      { externalId: "e1", userName: "a", [ENTERPRISE_USER_SCHEMA]: { manager: { value: "m1" } }, password: "leak" },
      meta,
      [{ value: "g1", $ref: "https://x/Groups/g1", display: "Sales", type: "direct" }],
      user,
    );
    expect(out).toEqual({
      schemas: [USER_SCHEMA, ENTERPRISE_USER_SCHEMA],
      id: "u1",
      externalId: "e1",
      userName: "a",
      [ENTERPRISE_USER_SCHEMA]: { manager: { value: "m1" } },
      groups: [{ value: "g1", $ref: "https://x/Groups/g1", display: "Sales", type: "direct" }],
      meta: {
        resourceType: "User",
        created: meta.created,
        lastModified: meta.lastModified,
        location: meta.location,
        version: 'W/"v1"',
      },
    });
  });
  it("omits groups when the user is in none and returns active: false as stored", () => {
    const out = renderUser({ userName: "a", active: false, [VENDOR]: { location: "Berlin" } }, meta, [], user);
    expect(out).not.toHaveProperty("groups");
    expect(out["active"]).toBe(false);
    expect(out["schemas"]).toEqual([USER_SCHEMA, VENDOR]);
  });
});
