import { describe, expect, it } from "vitest";
import { DEFAULT_VENDOR_CONFIG } from "../../env.js";
import { resourceDefinitions } from "../schema/index.js";
import type { ResourceDefinition } from "../schema/index.js";
import { applyPatch } from "./apply.js";
import { parsePatchRequest } from "./parse.js";
import { thrownScimError, thrownScimType } from "../../../test/support/thrown-scim-error.js";

const { user, group } = resourceDefinitions(DEFAULT_VENDOR_CONFIG);
const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const KLAXON = "urn:ietf:params:scim:schemas:extension:klaxon:2.0:User";

type Doc = Record<string, unknown>;

function patch(doc: Doc, operations: unknown[], resource: ResourceDefinition = user): Doc {
  return applyPatch(doc, parsePatchRequest({ schemas: [PATCH_OP], Operations: operations }), resource);
}

function baseUser(): Doc {
  return {
    userName: "bjensen@example.com",
    displayName: "Babs Jensen",
    active: true,
    name: { givenName: "Barbara", familyName: "Jensen" },
    emails: [
      { value: "bjensen@example.com", type: "work", primary: true },
      { value: "babs@home.example", type: "home" },
    ],
    [ENTERPRISE]: { department: "Sales", manager: { value: "m-1" } },
  };
}

describe("applyPatch: purity and atomicity (RFC 7644 §3.5.2)", () => {
  it("returns a new document and never mutates the input", () => {
    const doc = baseUser();
    const snapshot = structuredClone(doc);
    const out = patch(doc, [
      { op: "replace", path: "name.givenName", value: "Babs" },
      { op: "add", path: "emails", value: [{ value: "x@y.z", type: "other" }] },
      { op: "remove", path: `${ENTERPRISE}:department` },
    ]);
    expect(doc).toEqual(snapshot);
    expect(out).not.toBe(doc);
    expect((out.name as Doc).givenName).toBe("Babs");
  });

  it("applies nothing when a later operation fails", () => {
    const doc = baseUser();
    const snapshot = structuredClone(doc);
    expect(thrownScimType(() => patch(doc, [{ op: "replace", path: "title", value: "Boss" }, { op: "replace", path: "shoeSize", value: 42 }]))).toBe(
      "invalidPath",
    );
    expect(doc).toEqual(snapshot);
  });

  it("applies operations in order", () => {
    const out = patch(baseUser(), [
      { op: "replace", path: "title", value: "A" },
      { op: "replace", path: "title", value: "B" },
      { op: "remove", path: "nickName" },
    ]);
    expect(out.title).toBe("B");
  });

  it("treats an empty operation list as a no-op", () => {
    expect(patch(baseUser(), [])).toEqual(baseUser());
  });
});

describe("applyPatch: single-valued and complex attributes", () => {
  it("add on a single-valued attribute sets it, even when it has a value (Entra Add department)", () => {
    const out = patch(baseUser(), [{ op: "Add", path: `${ENTERPRISE}:department`, value: "Retail" }]);
    expect((out[ENTERPRISE] as Doc).department).toBe("Retail");
  });

  it("replace and remove a simple attribute", () => {
    expect(patch(baseUser(), [{ op: "replace", path: "displayName", value: "B" }]).displayName).toBe("B");
    expect(patch(baseUser(), [{ op: "remove", path: "displayName" }])).not.toHaveProperty("displayName");
  });

  it("matches attribute names case-insensitively and stores canonical names", () => {
    const out = patch(baseUser(), [{ op: "replace", path: "NAME.GIVENNAME", value: "B" }, { op: "add", path: "NickName", value: "Babs" }]);
    expect(out.name).toEqual({ givenName: "B", familyName: "Jensen" });
    expect(out.nickName).toBe("Babs");
  });

  it("sets a sub-attribute with a dotted path, creating the complex attribute", () => {
    const out = patch({ userName: "u" }, [{ op: "replace", path: "name.familyName", value: "updatedFamilyName" }]);
    expect(out.name).toEqual({ familyName: "updatedFamilyName" });
  });

  it("add and replace on a complex attribute merge the given sub-attributes and keep the others", () => {
    const added = patch(baseUser(), [{ op: "add", path: "name", value: { middleName: "Q" } }]);
    expect(added.name).toEqual({ givenName: "Barbara", familyName: "Jensen", middleName: "Q" });
    const replaced = patch(baseUser(), [{ op: "replace", path: "name", value: { givenName: "B", familyName: null } }]);
    expect(replaced.name).toEqual({ givenName: "B" });
  });

  it("removes a sub-attribute, and the complex attribute once empty", () => {
    const out = patch(baseUser(), [
      { op: "remove", path: "name.givenName" },
      { op: "remove", path: "name.familyName" },
    ]);
    expect(out).not.toHaveProperty("name");
  });

  it("path-less replace sets several attributes (Okta deactivate)", () => {
    const out = patch(baseUser(), [{ op: "replace", value: { active: false } }]);
    expect(out.active).toBe(false);
  });

  it("path-less add merges nested objects the RFC way", () => {
    const out = patch(baseUser(), [{ op: "add", value: { name: { middleName: "Q" }, title: "Boss" } }]);
    expect(out.name).toEqual({ givenName: "Barbara", familyName: "Jensen", middleName: "Q" });
    expect(out.title).toBe("Boss");
  });
});

describe("applyPatch: multi-valued attributes", () => {
  it("add appends values without duplicating an equal existing value", () => {
    const out = patch(baseUser(), [
      {
        op: "add",
        path: "emails",
        value: [
          { value: "bjensen@example.com", type: "work", primary: true },
          { value: "other@example.com", type: "other" },
        ],
      },
    ]);
    expect(out.emails).toEqual([
      { value: "bjensen@example.com", type: "work", primary: true },
      { value: "babs@home.example", type: "home" },
      { value: "other@example.com", type: "other" },
    ]);
  });

  it("add of an element with the same value and type updates it instead of duplicating", () => {
    const out = patch(baseUser(), [{ op: "add", path: "emails", value: [{ value: "BABS@home.example", type: "home", display: "Home" }] }]);
    expect(out.emails).toEqual([
      { value: "bjensen@example.com", type: "work", primary: true },
      { value: "BABS@home.example", type: "home", display: "Home" },
    ]);
  });

  it("a newly added primary value clears primary on the others (RFC 7643 §2.4)", () => {
    const out = patch(baseUser(), [{ op: "add", path: "emails", value: [{ value: "n@x.com", type: "other", primary: "True" }] }]);
    const emails = out.emails as Doc[];
    expect(emails.filter((e) => e.primary === true)).toEqual([{ value: "n@x.com", type: "other", primary: true }]);
    expect(emails[0]?.primary).toBe(false);
  });

  it("replace without filter replaces the whole set", () => {
    const out = patch(baseUser(), [{ op: "replace", path: "emails", value: [{ value: "only@x.com", type: "work" }] }]);
    expect(out.emails).toEqual([{ value: "only@x.com", type: "work" }]);
  });

  it("remove without filter removes the attribute", () => {
    expect(patch(baseUser(), [{ op: "remove", path: "emails" }])).not.toHaveProperty("emails");
  });

  it("accepts a single object for a multi-valued add", () => {
    const out = patch({ userName: "u" }, [{ op: "add", path: "phoneNumbers", value: { value: "+1 555", type: "work" } }]);
    expect(out.phoneNumbers).toEqual([{ value: "+1 555", type: "work" }]);
  });

  it("path-less replace with a multi-valued key replaces that set", () => {
    const out = patch(baseUser(), [{ op: "replace", value: { emails: [{ value: "n@x.com", type: "work", primary: true }] } }]);
    expect(out.emails).toEqual([{ value: "n@x.com", type: "work", primary: true }]);
  });

  it("replace with an empty array clears the attribute", () => {
    expect(patch(baseUser(), [{ op: "replace", path: "emails", value: [] }])).not.toHaveProperty("emails");
  });
});

describe("applyPatch: valuePath filters (RFC 7644 §3.5.2)", () => {
  it("replace emails[type eq \"work\"].value updates the matching element only", () => {
    const out = patch(baseUser(), [{ op: "Replace", path: 'emails[type eq "work"].value', value: "updatedEmail@microsoft.com" }]);
    expect(out.emails).toEqual([
      { value: "updatedEmail@microsoft.com", type: "work", primary: true },
      { value: "babs@home.example", type: "home" },
    ]);
  });

  it("matches the filter value case-insensitively for a caseExact:false sub-attribute", () => {
    const out = patch(baseUser(), [{ op: "replace", path: 'emails[type eq "WORK"].display', value: "Work" }]);
    expect((out.emails as Doc[])[0]).toEqual({ value: "bjensen@example.com", type: "work", primary: true, display: "Work" });
  });

  it("replace emails[type eq \"work\"] with an object replaces the element, keeping the filter's type", () => {
    const out = patch(baseUser(), [{ op: "replace", path: 'emails[type eq "work"]', value: { value: "w@x.com", primary: true } }]);
    expect(out.emails).toEqual([
      { type: "work", value: "w@x.com", primary: true },
      { value: "babs@home.example", type: "home" },
    ]);
  });

  it("add emails[type eq \"work\"] with an object merges into the element", () => {
    const out = patch(baseUser(), [{ op: "add", path: 'emails[type eq "work"]', value: { display: "Work" } }]);
    expect((out.emails as Doc[])[0]).toEqual({ value: "bjensen@example.com", type: "work", primary: true, display: "Work" });
  });

  it("remove emails[type eq \"home\"] removes the matching elements", () => {
    const out = patch(baseUser(), [{ op: "remove", path: 'emails[type eq "home"]' }]);
    expect(out.emails).toEqual([{ value: "bjensen@example.com", type: "work", primary: true }]);
  });

  it("removes the attribute once the last element is removed", () => {
    const out = patch(baseUser(), [{ op: "remove", path: 'emails[type eq "home" or type eq "work"]' }]);
    expect(out).not.toHaveProperty("emails");
  });

  it("remove with a filter that matches nothing is a no-op (idempotent retries)", () => {
    expect(patch(baseUser(), [{ op: "remove", path: 'emails[type eq "other"]' }])).toEqual(baseUser());
  });

  it("removing emails[...].value drops the element instead of leaving {type}", () => {
    const out = patch(baseUser(), [{ op: "remove", path: 'emails[type eq "home"].value' }]);
    expect(out.emails).toEqual([{ value: "bjensen@example.com", type: "work", primary: true }]);
  });

  it("removing another sub-attribute keeps the element", () => {
    const out = patch(baseUser(), [{ op: "remove", path: 'emails[type eq "work"].primary' }]);
    expect((out.emails as Doc[])[0]).toEqual({ value: "bjensen@example.com", type: "work" });
  });

  it("replace addresses[type eq \"work\"].formatted (Entra, laravel-scim-server #34)", () => {
    const doc = { userName: "u", addresses: [{ type: "work", formatted: "old", locality: "Paris" }, { type: "home", formatted: "h" }] };
    const out = patch(doc, [{ op: "Replace", path: 'addresses[type eq "work"].formatted', value: "18/2111" }]);
    expect(out.addresses).toEqual([{ type: "work", formatted: "18/2111", locality: "Paris" }, { type: "home", formatted: "h" }]);
  });

  it("a filter on a complex sub-attribute path combines conditions with and", () => {
    const doc = { userName: "u", emails: [{ value: "a@x", type: "work" }, { value: "b@x", type: "work", primary: true }] };
    const out = patch(doc, [{ op: "replace", path: 'emails[type eq "work" and primary eq true].value', value: "c@x" }]);
    expect(out.emails).toEqual([{ value: "a@x", type: "work" }, { value: "c@x", type: "work", primary: true }]);
  });
});

describe("applyPatch: Entra upserts a valuePath with no match", () => {
  it("replace emails[type eq \"work\"].value creates the work email when none exists", () => {
    const out = patch({ userName: "u" }, [{ op: "Replace", path: 'emails[type eq "work"].value', value: "w@x.com" }]);
    expect(out.emails).toEqual([{ type: "work", value: "w@x.com" }]);
  });

  it("add emails[type eq \"work\"].value on a user without emails creates it (validator Add Attributes)", () => {
    const out = patch({ userName: "u" }, [{ op: "add", path: 'emails[type eq "work"].value', value: "w@x.com" }]);
    expect(out.emails).toEqual([{ type: "work", value: "w@x.com" }]);
  });

  it("keeps the other emails when upserting the work email (SCIM-SDK #668)", () => {
    const doc = { userName: "u", emails: [{ value: "h@x.com", type: "home" }, { value: "o@x.com", type: "other" }] };
    const out = patch(doc, [{ op: "Replace", path: 'emails[type eq "work"].value', value: "w@x.com" }]);
    expect(out.emails).toEqual([
      { value: "h@x.com", type: "home" },
      { value: "o@x.com", type: "other" },
      { type: "work", value: "w@x.com" },
    ]);
  });

  it("upserts addresses[type eq \"work\"].formatted", () => {
    const out = patch({ userName: "u" }, [{ op: "Replace", path: 'addresses[type eq "work"].formatted', value: "18/2111" }]);
    expect(out.addresses).toEqual([{ type: "work", formatted: "18/2111" }]);
  });

  it("upserts a whole element from emails[type eq \"work\"] and all eq constraints", () => {
    const out = patch({ userName: "u" }, [{ op: "replace", path: 'emails[type eq "work" and primary eq "True"]', value: { value: "w@x.com" } }]);
    expect(out.emails).toEqual([{ type: "work", primary: true, value: "w@x.com" }]);
  });

  it("answers noTarget when the filter cannot describe a new element (RFC 7644 §3.5.2.3)", () => {
    expect(thrownScimType(() => patch({ userName: "u" }, [{ op: "replace", path: 'emails[value co "@x"].display', value: "d" }]))).toBe("noTarget");
  });

  it("creates nothing from an all-null value", () => {
    expect(patch({ userName: "u" }, [{ op: "replace", path: 'emails[type eq "work"]', value: { value: null } }])).toEqual({ userName: "u" });
    expect(patch({ userName: "u" }, [{ op: "replace", path: 'emails[type eq "work"].value', value: null }])).toEqual({ userName: "u" });
  });

  it("replace of a valuePath with \"\" clears the matching element", () => {
    const out = patch(baseUser(), [{ op: "replace", path: 'emails[type eq "home"].value', value: "" }]);
    expect(out.emails).toEqual([{ value: "bjensen@example.com", type: "work", primary: true }]);
  });
});

describe("applyPatch: Entra Remove with a value", () => {
  it("Remove emails[type eq \"work\"].value with a value removes, never sets (SCIMReferenceCode PR #87)", () => {
    const out = patch(baseUser(), [{ op: "Remove", path: 'emails[type eq "work"].value', value: "bjensen@example.com" }]);
    expect(out.emails).toEqual([{ value: "babs@home.example", type: "home" }]);
  });

  it("Remove on a multi-valued complex attribute with values removes only the elements with those values", () => {
    const out = patch(baseUser(), [{ op: "Remove", path: "emails", value: [{ value: "BABS@home.example" }] }]);
    expect(out.emails).toEqual([{ value: "bjensen@example.com", type: "work", primary: true }]);
  });

  it("Remove on a single-valued path with a value just removes it", () => {
    const out = patch(baseUser(), [{ op: "Remove", path: "displayName", value: "Someone else" }]);
    expect(out).not.toHaveProperty("displayName");
  });

  it("Remove roles with a value removes only that role", () => {
    const doc = { userName: "u", roles: [{ value: "Admin" }, { value: "Reader" }] };
    const out = patch(doc, [{ op: "Remove", path: "roles", value: [{ value: "Admin", display: "Admin" }] }]);
    expect(out.roles).toEqual([{ value: "Reader" }]);
  });
});

describe("applyPatch: Entra boolean strings (\"True\" / \"False\")", () => {
  it.each([
    ["False", false],
    ["false", false],
    ["True", true],
    ["true", true],
    [false, false],
  ])("Replace active %j stores %j", (value, expected) => {
    const out = patch(baseUser(), [{ op: "Replace", path: "active", value }]);
    expect(out.active).toBe(expected);
  });

  it("coerces primary sent as a string inside a value", () => {
    const out = patch({ userName: "u" }, [{ op: "add", path: "emails", value: [{ value: "a@x", primary: "True" }] }]);
    expect(out.emails).toEqual([{ value: "a@x", primary: true }]);
  });

  it("coerces booleans in a path-less value and in the group licence extension", () => {
    expect(patch(baseUser(), [{ op: "replace", value: { active: "False" } }]).active).toBe(false);
    const licence = "urn:ietf:params:scim:schemas:extension:klaxoon:2.0:Group";
    const out = patch({ displayName: "G" }, [{ op: "replace", path: `${licence}:license`, value: "False" }], group);
    expect(out[licence]).toEqual({ license: false });
  });

  it("rejects a non-boolean string for a boolean with invalidValue", () => {
    expect(thrownScimType(() => patch(baseUser(), [{ op: "replace", path: "active", value: "yes" }]))).toBe("invalidValue");
  });
});

describe("applyPatch: Entra's exact payloads in both PATCH dialects", () => {
  it("default dialect: work email, familyName, work address and department in one PATCH", () => {
    const doc = { userName: "u", emails: [{ value: "h@x.com", type: "home" }] };
    const out = applyPatch(
      doc,
      parsePatchRequest({
        schemas: [PATCH_OP],
        Operations: [
          { op: "Replace", path: 'emails[type eq "work"].value', value: "updatedEmail@microsoft.com" },
          { op: "Replace", path: "name.familyName", value: "updatedFamilyName" },
          { op: "Replace", path: 'addresses[type eq "work"].formatted', value: "18/2111" },
          { op: "Add", path: `${ENTERPRISE}:department`, value: "Retail" },
        ],
      }),
      user,
    );
    expect(out).toEqual({
      userName: "u",
      emails: [
        { value: "h@x.com", type: "home" },
        { type: "work", value: "updatedEmail@microsoft.com" },
      ],
      name: { familyName: "updatedFamilyName" },
      addresses: [{ type: "work", formatted: "18/2111" }],
      [ENTERPRISE]: { department: "Retail" },
    });
  });

  it("aadOptscim062020: path-less replace with dotted and URN-qualified keys", () => {
    const out = applyPatch(
      baseUser(),
      parsePatchRequest({
        schemas: [PATCH_OP],
        Operations: [
          { op: "replace", path: 'emails[type eq "work"].value', value: "new@x.com" },
          {
            op: "replace",
            value: {
              displayName: "Bjfe",
              "name.givenName": "Kkom",
              "name.familyName": "Unua",
              [`${ENTERPRISE}:employeeNumber`]: "Aklq",
            },
          },
        ],
      }),
      user,
    );
    expect(out.displayName).toBe("Bjfe");
    expect(out.name).toEqual({ givenName: "Kkom", familyName: "Unua" });
    expect(out[ENTERPRISE]).toEqual({ department: "Sales", manager: { value: "m-1" }, employeeNumber: "Aklq" });
    expect((out.emails as Doc[])[0]).toEqual({ value: "new@x.com", type: "work", primary: true });
  });

  it("aadOptscim062020: add nickName and replace active with a real boolean", () => {
    const out = patch(baseUser(), [
      { op: "add", path: "nickName", value: "Babs" },
      { op: "replace", path: "active", value: false },
    ]);
    expect(out.nickName).toBe("Babs");
    expect(out.active).toBe(false);
  });

  it("default dialect: one op per attribute, incl. externalId and employeeNumber", () => {
    const out = patch(baseUser(), [
      { op: "Replace", path: "displayName", value: "Bjfe" },
      { op: "Replace", path: "name.givenName", value: "Kkom" },
      { op: "Replace", path: "externalId", value: "ext-1" },
      { op: "Replace", path: `${ENTERPRISE}:employeeNumber`, value: "Aklq" },
    ]);
    expect(out).toMatchObject({ displayName: "Bjfe", externalId: "ext-1", name: { givenName: "Kkom" } });
    expect((out[ENTERPRISE] as Doc).employeeNumber).toBe("Aklq");
  });
});

describe("applyPatch: extension attributes by URN", () => {
  it("sets a custom vendor extension attribute (klaxon location)", () => {
    const out = patch({ userName: "u" }, [{ op: "Add", path: `${KLAXON}:location`, value: "Lyon" }]);
    expect(out[KLAXON]).toEqual({ location: "Lyon" });
  });

  it("removes an extension attribute, and the extension object once empty", () => {
    const out = patch({ userName: "u", [KLAXON]: { location: "Lyon" } }, [{ op: "remove", path: `${KLAXON}:location` }]);
    expect(out).not.toHaveProperty(KLAXON);
  });

  it("matches the extension URN case-insensitively and stores the schema's spelling", () => {
    const out = patch({ userName: "u" }, [{ op: "add", path: `${KLAXON.toUpperCase().replace("URN:", "urn:")}:LOCATION`, value: "Lyon" }]);
    expect(out[KLAXON]).toEqual({ location: "Lyon" });
  });

  it("a bare extension URN path takes an object of its attributes", () => {
    const out = patch(baseUser(), [{ op: "add", path: ENTERPRISE, value: { costCenter: "42", manager: "m-2" } }]);
    expect(out[ENTERPRISE]).toEqual({ department: "Sales", manager: { value: "m-2" }, costCenter: "42" });
  });

  it("remove of a bare extension URN removes the whole extension", () => {
    expect(patch(baseUser(), [{ op: "remove", path: ENTERPRISE }])).not.toHaveProperty(ENTERPRISE);
  });

  it("path-less value with an extension object nested under its URN (RFC form)", () => {
    const out = patch({ userName: "u" }, [{ op: "add", value: { [ENTERPRISE]: { department: "Retail" }, [KLAXON]: { location: "Lyon" } } }]);
    expect(out[ENTERPRISE]).toEqual({ department: "Retail" });
    expect(out[KLAXON]).toEqual({ location: "Lyon" });
  });

  it("accepts a URN-qualified core attribute path", () => {
    const out = patch(baseUser(), [{ op: "replace", path: "urn:ietf:params:scim:schemas:core:2.0:User:userName", value: "new" }]);
    expect(out.userName).toBe("new");
  });
});

describe("applyPatch: manager shapes (bare id, {value}, [{value, $ref}], manager[value eq])", () => {
  const path = `${ENTERPRISE}:manager`;

  it("a bare string id becomes {value}", () => {
    const out = patch({ userName: "u" }, [{ op: "Add", path, value: "2c2f6fb8-254f-492e-b7fe-c09c5a61c8a2" }]);
    expect(out[ENTERPRISE]).toEqual({ manager: { value: "2c2f6fb8-254f-492e-b7fe-c09c5a61c8a2" } });
  });

  it("{value} is stored as is", () => {
    const out = patch(baseUser(), [{ op: "replace", path, value: { value: "m-2" } }]);
    expect((out[ENTERPRISE] as Doc).manager).toEqual({ value: "m-2" });
  });

  it("[{value, $ref}] (Microsoft's SCIM guide, example 5) keeps $ref", () => {
    const out = patch(baseUser(), [{ op: "Add", path: "manager", value: [{ $ref: "https://x/Users/m-3", value: "m-3" }] }]);
    expect((out[ENTERPRISE] as Doc).manager).toEqual({ value: "m-3", $ref: "https://x/Users/m-3" });
  });

  it("a new manager id drops the old $ref", () => {
    const doc = { userName: "u", [ENTERPRISE]: { manager: { value: "m-1", $ref: "https://x/Users/m-1" } } };
    expect((patch(doc, [{ op: "replace", path: `${path}.value`, value: "m-2" }])[ENTERPRISE] as Doc).manager).toEqual({ value: "m-2" });
    expect((patch(doc, [{ op: "replace", path, value: "m-2" }])[ENTERPRISE] as Doc).manager).toEqual({ value: "m-2" });
  });

  it("Remove manager[value eq \"id\"] removes the manager when it matches", () => {
    const out = patch(baseUser(), [{ op: "Remove", path: `${path}[value eq "m-1"]` }]);
    expect(out[ENTERPRISE]).toEqual({ department: "Sales" });
  });

  it("Remove manager[value eq \"other\"] leaves a different manager alone", () => {
    const out = patch(baseUser(), [{ op: "Remove", path: 'manager[value eq "m-9"]' }]);
    expect((out[ENTERPRISE] as Doc).manager).toEqual({ value: "m-1" });
  });

  it("replace with \"\" or {value: \"\"} clears the manager (Microsoft's Logic App validation, test 25)", () => {
    expect(patch(baseUser(), [{ op: "Replace", path, value: "" }])[ENTERPRISE]).toEqual({ department: "Sales" });
    expect(patch(baseUser(), [{ op: "Replace", path, value: { value: "" } }])[ENTERPRISE]).toEqual({ department: "Sales" });
  });

  it("a manager in a path-less extension object accepts a bare id", () => {
    const out = patch({ userName: "u" }, [{ op: "add", value: { [ENTERPRISE]: { manager: "m-4" } } }]);
    expect(out[ENTERPRISE]).toEqual({ manager: { value: "m-4" } });
  });
});

describe("applyPatch: null and empty values clear (Microsoft's Logic App validation, test 16)", () => {
  it("replace with null or \"\" clears a simple attribute", () => {
    const doc = { ...baseUser(), title: "Boss", nickName: "B" };
    const out = patch(doc, [
      { op: "replace", path: "title", value: null },
      { op: "replace", path: "nickName", value: "" },
    ]);
    expect(out).not.toHaveProperty("title");
    expect(out).not.toHaveProperty("nickName");
  });

  it("null inside a path-less value clears that attribute", () => {
    const out = patch({ ...baseUser(), title: "Boss" }, [{ op: "replace", value: { title: null, "name.givenName": "" } }]);
    expect(out).not.toHaveProperty("title");
    expect(out.name).toEqual({ familyName: "Jensen" });
  });

  it("replace of a complex attribute with null clears it", () => {
    expect(patch(baseUser(), [{ op: "replace", path: "name", value: null }])).not.toHaveProperty("name");
  });

  it("add of null to a multi-valued attribute adds nothing", () => {
    expect(patch(baseUser(), [{ op: "add", path: "emails", value: null }]).emails).toEqual(baseUser().emails);
  });
});

describe("applyPatch: read-only keys in a path-less value are ignored (Okta group rename)", () => {
  it("ignores id, meta, schemas and groups", () => {
    const out = patch(baseUser(), [
      {
        op: "replace",
        value: {
          id: "abf4dd94",
          schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"],
          meta: { resourceType: "User" },
          groups: [{ value: "g-1" }],
          displayName: "X",
        },
      },
    ]);
    expect(out).toEqual({ ...baseUser(), displayName: "X" });
  });

  it("Okta group push: replace {id, displayName} renames the group", () => {
    const out = patch({ displayName: "Old" }, [{ op: "replace", value: { id: "abf4dd94-0000", displayName: "Test SCIMv2" } }], group);
    expect(out).toEqual({ displayName: "Test SCIMv2" });
  });

  it("accepts and never stores password (writeOnly, Okta password sync)", () => {
    expect(patch(baseUser(), [{ op: "replace", value: { password: "s3cret" } }])).toEqual(baseUser());
    expect(patch(baseUser(), [{ op: "replace", path: "password", value: "s3cret" }])).toEqual(baseUser());
  });
});

describe("applyPatch: errors (RFC 7644 §3.5.2, §3.12)", () => {
  it("unknown attribute in a path → invalidPath", () => {
    expect(thrownScimType(() => patch(baseUser(), [{ op: "replace", path: "shoeSize", value: "42" }]))).toBe("invalidPath");
    expect(thrownScimType(() => patch(baseUser(), [{ op: "replace", path: "name.shoeSize", value: "42" }]))).toBe("invalidPath");
    expect(thrownScimType(() => patch(baseUser(), [{ op: "replace", path: "urn:example:unknown:2.0:User:x", value: "1" }]))).toBe("invalidPath");
    expect(thrownScimType(() => patch(baseUser(), [{ op: "replace", path: 'emails[shoe eq "x"].value', value: "1" }]))).toBe("invalidPath");
    expect(thrownScimType(() => patch(baseUser(), [{ op: "replace", path: 'emails[type eq "work"].shoe', value: "1" }]))).toBe("invalidPath");
  });

  it("unknown key in a path-less value → invalidPath", () => {
    expect(thrownScimType(() => patch(baseUser(), [{ op: "replace", value: { shoeSize: 42 } }]))).toBe("invalidPath");
    expect(thrownScimType(() => patch(baseUser(), [{ op: "add", value: { [ENTERPRISE]: { shoeSize: "42" } } }]))).toBe("invalidPath");
    expect(thrownScimType(() => patch(baseUser(), [{ op: "add", value: { name: { shoeSize: "42" } } }]))).toBe("invalidPath");
  });

  it("wrong value types → invalidValue", () => {
    expect(thrownScimType(() => patch(baseUser(), [{ op: "replace", path: "title", value: { a: 1 } }]))).toBe("invalidValue");
    expect(thrownScimType(() => patch(baseUser(), [{ op: "replace", path: "title", value: ["x"] }]))).toBe("invalidValue");
    expect(thrownScimType(() => patch(baseUser(), [{ op: "replace", path: "name", value: "Babs" }]))).toBe("invalidValue");
    expect(thrownScimType(() => patch(baseUser(), [{ op: "add", path: "emails", value: ["a@x"] }]))).toBe("invalidValue");
    expect(thrownScimType(() => patch(baseUser(), [{ op: "replace", value: "active" }]))).toBe("invalidValue");
    expect(thrownScimType(() => patch(baseUser(), [{ op: "replace", path: ENTERPRISE, value: "x" }]))).toBe("invalidValue");
  });

  it("a path on a read-only attribute → mutability", () => {
    expect(thrownScimType(() => patch(baseUser(), [{ op: "replace", path: "id", value: "x" }]))).toBe("mutability");
    expect(thrownScimType(() => patch(baseUser(), [{ op: "replace", path: "meta.lastModified", value: "2024-01-01T00:00:00Z" }]))).toBe(
      "mutability",
    );
    expect(thrownScimType(() => patch(baseUser(), [{ op: "add", path: "groups", value: [{ value: "g" }] }]))).toBe("mutability");
    expect(thrownScimType(() => patch(baseUser(), [{ op: "remove", path: "groups" }]))).toBe("mutability");
    expect(thrownScimType(() => patch(baseUser(), [{ op: "replace", path: `${ENTERPRISE}:manager.displayName`, value: "x" }]))).toBe(
      "mutability",
    );
  });

  it("emptying a required attribute → invalidValue", () => {
    expect(thrownScimType(() => patch(baseUser(), [{ op: "replace", path: "userName", value: "" }]))).toBe("invalidValue");
    expect(thrownScimType(() => patch(baseUser(), [{ op: "replace", path: "userName", value: null }]))).toBe("invalidValue");
    expect(thrownScimType(() => patch(baseUser(), [{ op: "remove", path: "userName" }]))).toBe("invalidValue");
    expect(thrownScimType(() => patch({ displayName: "G" }, [{ op: "remove", path: "displayName" }], group))).toBe("invalidValue");
    expect(thrownScimType(() => patch({ displayName: "G" }, [{ op: "replace", value: { displayName: "" } }], group))).toBe("invalidValue");
  });

  it("a filter on a single-valued simple attribute → invalidPath", () => {
    expect(thrownScimType(() => patch(baseUser(), [{ op: "remove", path: 'title[value eq "x"]' }]))).toBe("invalidPath");
    expect(thrownScimType(() => patch(baseUser(), [{ op: "replace", path: 'active[value eq "x"]', value: true }]))).toBe("invalidPath");
  });

  it("a filter on a single-valued complex attribute other than manager removal → invalidPath", () => {
    expect(thrownScimType(() => patch(baseUser(), [{ op: "remove", path: 'name[givenName eq "Barbara"]' }]))).toBe("invalidPath");
    expect(thrownScimType(() => patch(baseUser(), [{ op: "replace", path: 'manager[value eq "m-1"].value', value: "m-2" }]))).toBe(
      "invalidPath",
    );
  });

  it("group members handed to applyPatch → invalidPath (they go through foldMemberOperations)", () => {
    expect(thrownScimType(() => patch({ displayName: "G" }, [{ op: "add", path: "members", value: [{ value: "u" }] }], group))).toBe(
      "invalidPath",
    );
    expect(thrownScimType(() => patch({ displayName: "G" }, [{ op: "remove", path: 'members[value eq "u"]' }], group))).toBe("invalidPath");
    expect(thrownScimType(() => patch({ displayName: "G" }, [{ op: "replace", value: { members: [] } }], group))).toBe("invalidPath");
  });

  it("remove without path → noTarget even when built by hand", () => {
    expect(thrownScimType(() => applyPatch(baseUser(), [{ op: "remove" }], user))).toBe("noTarget");
  });

  it("a number or boolean for a string attribute → invalidValue naming it, in every dialect", () => {
    const cases: Array<[unknown[], string, ResourceDefinition?]> = [
      [[{ op: "replace", path: "displayName", value: 42 }], "displayName"],
      [[{ op: "add", path: "title", value: true }], "title"],
      [[{ op: "replace", value: { userName: 7 } }], "userName"],
      [[{ op: "replace", path: "emails[type eq \"work\"].value", value: 5 }], "emails"],
      [[{ op: "add", path: "emails", value: [{ value: 5, type: "work" }] }], "emails.value"],
      [[{ op: "replace", path: `${ENTERPRISE}:employeeNumber`, value: 1234 }], "employeeNumber"],
      [[{ op: "replace", value: { [`${ENTERPRISE}:department`]: 1 } }], "department"],
      [[{ op: "replace", path: "displayName", value: 9 }], "displayName", group],
    ];
    for (const [ops, named, resource] of cases) {
      const err = thrownScimError(() => patch(resource === group ? { displayName: "G" } : baseUser(), ops, resource));
      expect(err.scimType).toBe("invalidValue");
      expect(err.message).toContain(named);
    }
  });

  it("a path or path-less key under an undeclared extension → invalidPath naming the URN", () => {
    const ACME = "urn:ietf:params:scim:schemas:extension:acme:2.0:User";
    for (const ops of [
      [{ op: "replace", path: `${ACME}:costCenter`, value: "x" }],
      [{ op: "add", path: ACME, value: { costCenter: "x" } }],
      [{ op: "remove", path: `${ACME}:costCenter` }],
      [{ op: "replace", value: { [ACME]: { costCenter: "x" } } }],
      [{ op: "replace", value: { [`${ACME}:costCenter`]: "x" } }],
    ]) {
      const err = thrownScimError(() => patch(baseUser(), ops));
      expect(err.scimType).toBe("invalidPath");
      expect(err.message).toContain(`"${ACME}"`);
      expect(err.message).toContain(KLAXON);
    }
  });
});
