import { describe, expect, it } from "vitest";
import { DEFAULT_VENDOR_CONFIG } from "../../env.js";
import { ScimError } from "../errors.js";
import { resourceDefinitions } from "../schema/resources.js";
import { bindFilter, bindPatchPath } from "./bind.js";
import { matchesFilter } from "./evaluate.js";
import { parseFilter, parsePatchPath } from "./parse.js";

const { user, group } = resourceDefinitions(DEFAULT_VENDOR_CONFIG);
const ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const VENDOR = DEFAULT_VENDOR_CONFIG.userExtensionUrn;
const LICENCE = DEFAULT_VENDOR_CONFIG.groupExtensionUrn;

const bjensen: Record<string, unknown> = {
  schemas: ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE, VENDOR],
  id: "2819c223-7f76-453a-919d-413861904646",
  externalId: "Bjensen-Ext",
  userName: "Bjensen@Example.com",
  name: { givenName: "Barbara", familyName: "Jensen" },
  displayName: "Babs Jensen",
  title: "",
  active: true,
  emails: [
    { type: "work", value: "bjensen@example.com", primary: true },
    { type: "home", value: "babs@jensen.org" },
  ],
  phoneNumbers: [],
  meta: {
    resourceType: "User",
    created: "2010-01-23T04:56:22Z",
    lastModified: "2011-05-13T04:42:34Z",
  },
  [ENTERPRISE]: { employeeNumber: "701984", department: "Tour Operations", manager: { value: "26118915" } },
  [VENDOR]: { location: "Paris" },
};

function matches(filter: string, resource: Record<string, unknown> = bjensen, definition = user): boolean {
  return matchesFilter(bindFilter(parseFilter(filter), definition), resource);
}

function expectInvalidFilter(filter: string, definition = user): ScimError {
  try {
    bindFilter(parseFilter(filter), definition);
  } catch (err) {
    expect(err).toBeInstanceOf(ScimError);
    expect((err as ScimError).status).toBe(400);
    expect((err as ScimError).scimType).toBe("invalidFilter");
    return err as ScimError;
  }
  throw new Error(`expected invalidFilter for ${filter}`);
}

describe("string operators honour caseExact (RFC 7643 §2.2, RFC 7644 §3.4.2.2)", () => {
  it("matches userName case-insensitively (Entra's matching filter)", () => {
    expect(matches('userName eq "bjensen@example.com"')).toBe(true);
    expect(matches('USERNAME eq "BJENSEN@EXAMPLE.COM"')).toBe(true);
    expect(matches('userName eq "someone@example.com"')).toBe(false);
  });

  it("folds Unicode case for caseExact:false attributes (ÄRGER = ärger)", () => {
    const u = { ...bjensen, userName: "ÄRGER" };
    expect(matches('userName eq "ärger"', u)).toBe(true);
    // NFKC: the decomposed "a\u0308" equals the precomposed "ä".
    expect(matches('userName eq "a\u0308rger"', u)).toBe(true);
  });

  it("compares id and externalId case-sensitively", () => {
    expect(matches('externalId eq "Bjensen-Ext"')).toBe(true);
    expect(matches('externalId eq "bjensen-ext"')).toBe(false);
    expect(matches('id eq "2819c223-7f76-453a-919d-413861904646"')).toBe(true);
    expect(matches('id eq "2819C223-7F76-453A-919D-413861904646"')).toBe(false);
  });

  it("implements ne, co, sw, ew", () => {
    expect(matches('userName ne "x"')).toBe(true);
    expect(matches('userName ne "BJENSEN@example.com"')).toBe(false);
    expect(matches('name.familyName co "ENS"')).toBe(true);
    expect(matches('name.familyName co "xyz"')).toBe(false);
    expect(matches('userName sw "bjen"')).toBe(true);
    expect(matches('userName sw "jen"')).toBe(false);
    expect(matches('userName ew "@EXAMPLE.com"')).toBe(true);
    expect(matches('userName ew "@example.org"')).toBe(false);
    expect(matches('externalId sw "bjen"')).toBe(false);
  });

  it("orders strings lexicographically with gt, ge, lt, le", () => {
    expect(matches('name.familyName gt "J"')).toBe(true);
    expect(matches('name.familyName gt "Jensen"')).toBe(false);
    expect(matches('name.familyName ge "jensen"')).toBe(true);
    expect(matches('name.familyName lt "K"')).toBe(true);
    expect(matches('name.familyName le "JENSEN"')).toBe(true);
    expect(matches('name.familyName lt "Jensen"')).toBe(false);
  });

  it("accepts attribute names in any case", () => {
    expect(matches('NAME.GIVENNAME eq "barbara"')).toBe(true);
    expect(matches('Emails.Value co "example.com"')).toBe(true);
  });

  it("reads an unquoted token as a string value (Entra's `externalId eq jyoung`)", () => {
    expect(matches("externalId eq Bjensen-Ext")).toBe(true);
    const numeric = { ...bjensen, externalId: "00123" };
    expect(matches("externalId eq 00123", numeric)).toBe(true);
  });
});

describe("other attribute types", () => {
  it("compares booleans with eq and ne, and treats Entra's \"True\" strings as booleans", () => {
    expect(matches("active eq true")).toBe(true);
    expect(matches("active eq false")).toBe(false);
    expect(matches("active ne false")).toBe(true);
    expect(matches('active eq "True"')).toBe(true);
    expect(matches("active eq true", { ...bjensen, active: "True" })).toBe(true);
  });

  it("returns false, not an exception, on a type mismatch", () => {
    expect(matches('active eq "x"')).toBe(false);
    expect(matches('userName eq "x"', { ...bjensen, userName: 42 })).toBe(false);
    expect(matches('meta.lastModified gt "2000-01-01T00:00:00Z"', { ...bjensen, meta: { lastModified: "garbage" } })).toBe(false);
    expect(matches('name.givenName eq "x"', { ...bjensen, name: "not an object" })).toBe(false);
  });

  it("compares dateTime chronologically: meta.lastModified gt", () => {
    expect(matches('meta.lastModified gt "2011-05-13T04:42:33Z"')).toBe(true);
    expect(matches('meta.lastModified gt "2011-05-13T04:42:34Z"')).toBe(false);
    expect(matches('meta.lastModified ge "2011-05-13T04:42:34.000Z"')).toBe(true);
    // Same instant written with an offset: chronological, not lexicographic.
    expect(matches('meta.lastModified eq "2011-05-13T06:42:34+02:00"')).toBe(true);
    expect(matches('meta.lastModified lt "2011-05-13T05:00:00+02:00"')).toBe(false);
    expect(matches('meta.created lt "2011-01-01T00:00:00Z"')).toBe(true);
    expect(matches("meta.created le 2010-01-23T04:56:22Z")).toBe(true);
    expect(matches('meta.created sw "2010-01"')).toBe(true);
  });

  it("matches boolean extension attributes whose values arrive as strings (group licence)", () => {
    const g = { displayName: "Pro", [LICENCE]: { license: "True" } };
    expect(matches(`${LICENCE}:license eq true`, g, group)).toBe(true);
    expect(matches(`${LICENCE}:license eq "true"`, g, group)).toBe(true);
    expect(matches(`${LICENCE}:license eq false`, g, group)).toBe(false);
    expect(matches(`${LICENCE}:license eq null`, { displayName: "Free" }, group)).toBe(true);
  });
});

describe("presence and missing attributes", () => {
  it("pr is true only for a non-empty value", () => {
    expect(matches("userName pr")).toBe(true);
    expect(matches("title pr")).toBe(false); // ""
    expect(matches("phoneNumbers pr")).toBe(false); // []
    expect(matches("nickName pr")).toBe(false); // absent
    expect(matches("emails pr")).toBe(true);
    expect(matches("name pr")).toBe(true);
    expect(matches("nickName pr", { ...bjensen, nickName: null })).toBe(false);
  });

  it("on a missing attribute: eq false, ne true, ordering false", () => {
    expect(matches('nickName eq "x"')).toBe(false);
    expect(matches('nickName ne "x"')).toBe(true);
    expect(matches('nickName gt "a"')).toBe(false);
    expect(matches('nickName co "a"')).toBe(false);
  });

  it("eq null is true when absent, ne null when present", () => {
    expect(matches("nickName eq null")).toBe(true);
    expect(matches("userName eq null")).toBe(false);
    expect(matches("userName ne null")).toBe(true);
    expect(matches("nickName ne null")).toBe(false);
  });
});

describe("multi-valued and complex attributes", () => {
  it("matches when ANY value matches", () => {
    expect(matches('emails.value eq "babs@jensen.org"')).toBe(true);
    expect(matches('emails.value ew "@example.com"')).toBe(true);
    expect(matches('emails.type eq "other"')).toBe(false);
  });

  it("ne on a multi-valued attribute means no value equals", () => {
    expect(matches('emails.value ne "babs@jensen.org"')).toBe(false);
    expect(matches('emails.value ne "nobody@x.org"')).toBe(true);
  });

  it("compares a complex attribute without sub-attribute through `value` (PingFederate's `emails eq`)", () => {
    expect(matches('emails eq "BJENSEN@example.com"')).toBe(true);
    expect(matches('emails co "jensen.org"')).toBe(true);
    expect(matches('emails eq "nobody@example.com"')).toBe(false);
  });

  it("requires one element to satisfy the whole value filter", () => {
    expect(matches('emails[type eq "work" and value co "@example.com"]')).toBe(true);
    expect(matches('emails[type eq "home" and value co "@example.com"]')).toBe(false);
    // Without brackets the two conditions may hold on different elements.
    expect(matches('emails.type eq "home" and emails.value co "@example.com"')).toBe(true);
    expect(matches('emails[type eq "home" and not (primary eq true)]')).toBe(true);
    expect(matches('emails[TYPE eq "WORK" or value eq "x"]')).toBe(true);
  });

  it("evaluates Entra's work-email matching filter on the same element", () => {
    expect(matches('emails[type eq "work"].value eq "bjensen@example.com"')).toBe(true);
    expect(matches('emails[type eq "work"].value eq "babs@jensen.org"')).toBe(false);
    expect(matches('emails[type eq "home"].value eq "babs@jensen.org"')).toBe(true);
  });

  it("applies a value filter to the single-valued complex manager", () => {
    expect(matches(`${ENTERPRISE}:manager[value eq "26118915"]`)).toBe(true);
    expect(matches(`${ENTERPRISE}:manager[value eq "other"]`)).toBe(false);
  });

  it("matches group members", () => {
    const g = { displayName: "Tour Guides", members: [{ value: "u1" }, { value: "u2", display: "Bob" }] };
    expect(matches('members[value eq "u2"]', g, group)).toBe(true);
    expect(matches('members.value eq "u3"', g, group)).toBe(false);
    expect(matches('displayName eq "tour guides"', g, group)).toBe(true);
  });
});

describe("URN-qualified and extension attributes", () => {
  it("reads extension attributes under their schema URN", () => {
    expect(matches(`${ENTERPRISE}:employeeNumber eq "701984"`)).toBe(true);
    expect(matches(`${ENTERPRISE}:department co "tour"`)).toBe(true);
    expect(matches(`${ENTERPRISE}:manager.value eq "26118915"`)).toBe(true);
    expect(matches(`${VENDOR}:location eq "paris"`)).toBe(true);
    expect(matches(`${ENTERPRISE}:employeeNumber eq "701984"`, { ...bjensen, [ENTERPRISE]: undefined })).toBe(false);
  });

  it("resolves core attributes written with the core schema URN", () => {
    expect(matches('urn:ietf:params:scim:schemas:core:2.0:User:userName sw "B"')).toBe(true);
    expect(matches('urn:ietf:params:scim:schemas:core:2.0:User:name.givenName eq "barbara"')).toBe(true);
  });

  it("treats unqualified extension attribute names as unknown (they live under the URN)", () => {
    expectInvalidFilter('employeeNumber eq "701984"');
  });
});

describe("logical operators", () => {
  it("evaluates and, or, not with precedence", () => {
    expect(matches('userName eq "x" and active eq true or displayName sw "babs"')).toBe(true);
    expect(matches('userName eq "x" and (active eq true or displayName sw "babs")')).toBe(false);
    expect(matches('not (userName eq "x")')).toBe(true);
    expect(matches('not (userName pr) or title pr')).toBe(false);
    expect(matches("name.FamilyName eq Jensen and (emails.Value co example.com or emails.Value co example.org)")).toBe(true);
  });
});

describe("binding errors are 400 invalidFilter", () => {
  it("rejects unknown attributes and sub-attributes", () => {
    expect(expectInvalidFilter('shoeSize eq "42"').message).toContain("shoeSize");
    expectInvalidFilter('name.shoeSize eq "42"');
    expectInvalidFilter('emails[shoeSize eq "42"]');
    expectInvalidFilter('urn:example:unknown:2.0:User:x eq "y"');
    expectInvalidFilter('userName eq "x"', group);
    expectInvalidFilter('members[value eq "x"]', user);
  });

  it("rejects ordering and substring operators on booleans, ordering on binary", () => {
    expectInvalidFilter("active gt true");
    expectInvalidFilter('active co "t"');
    expectInvalidFilter('x509Certificates.value gt "AAA"');
  });

  it("rejects a comparison on a complex attribute without a value sub-attribute", () => {
    expectInvalidFilter('name eq "Barbara"');
    expectInvalidFilter('meta eq "x"');
  });

  it("rejects a value filter on a simple attribute, and a non-dateTime literal on a dateTime", () => {
    expectInvalidFilter('userName[value eq "x"]');
    expectInvalidFilter('meta.lastModified gt "yesterday"');
    expectInvalidFilter("userName co null");
  });

  it("refuses to filter on the write-only password", () => {
    expectInvalidFilter('password sw "a"');
  });
});

describe("bindPatchPath", () => {
  it("binds a valuePath PATCH path whose filter matches one element", () => {
    const bound = bindPatchPath(parsePatchPath('emails[type eq "work"].value'), user);
    expect(bound.path.attribute.name).toBe("emails");
    expect(bound.subAttribute?.name).toBe("value");
    expect(bound.filter && matchesFilter(bound.filter, { type: "Work", value: "a@b" })).toBe(true);
    expect(bound.filter && matchesFilter(bound.filter, { type: "home", value: "a@b" })).toBe(false);
  });

  it("binds URN paths, manager[value eq] and password", () => {
    const manager = bindPatchPath(parsePatchPath(`${ENTERPRISE}:manager[value eq "x"]`), user);
    expect(manager.path.isExtension).toBe(true);
    expect(bindPatchPath(parsePatchPath("password"), user).path.attribute.name).toBe("password");
  });

  it("reports unknown PATCH targets as invalidPath", () => {
    for (const path of ["shoeSize", 'emails[shoeSize eq "x"]', 'emails[type eq "work"].shoeSize', 'userName[value eq "x"]']) {
      try {
        bindPatchPath(parsePatchPath(path), user);
        throw new Error(`expected invalidPath for ${path}`);
      } catch (err) {
        expect((err as ScimError).scimType).toBe("invalidPath");
      }
    }
  });
});
