import { describe, expect, it } from "vitest";
import { ScimError } from "../errors.js";
import type { FilterNode } from "./ast.js";
import { MAX_FILTER_DEPTH, MAX_FILTER_LENGTH, parseFilter, parsePatchPath } from "./parse.js";

const ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

function expectScimError(fn: () => unknown, scimType: "invalidFilter" | "invalidPath"): ScimError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ScimError);
    const e = err as ScimError;
    expect(e.status).toBe(400);
    expect(e.scimType).toBe(scimType);
    return e;
  }
  throw new Error("expected a ScimError");
}

const cmp = (attribute: string, op: string, value: unknown, extra: object = {}): FilterNode =>
  ({ kind: "compare", path: { attribute, ...extra }, op, value }) as FilterNode;

describe("parseFilter: attribute expressions (RFC 7644 §3.4.2.2)", () => {
  it.each(["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"])("parses the %s operator", (op) => {
    expect(parseFilter(`userName ${op} "bjensen"`)).toEqual(cmp("userName", op, "bjensen"));
  });

  it("parses pr", () => {
    expect(parseFilter("title pr")).toEqual({ kind: "present", path: { attribute: "title" } });
  });

  it("accepts operators and keywords in any case", () => {
    expect(parseFilter('userName Eq "x" AND title PR')).toEqual({
      kind: "and",
      left: cmp("userName", "eq", "x"),
      right: { kind: "present", path: { attribute: "title" } },
    });
    expect(parseFilter('NOT (userName eQ "x")')).toEqual({ kind: "not", filter: cmp("userName", "eq", "x") });
  });

  it("parses sub-attributes, meta attributes and $ref", () => {
    expect(parseFilter('name.givenName eq "Barbara"')).toEqual(cmp("name", "eq", "Barbara", { subAttribute: "givenName" }));
    expect(parseFilter('meta.lastModified gt "2011-05-13T04:42:34Z"')).toEqual(
      cmp("meta", "gt", "2011-05-13T04:42:34Z", { subAttribute: "lastModified" }),
    );
    expect(parseFilter('members.$ref eq "https://x/Users/1"')).toEqual(
      cmp("members", "eq", "https://x/Users/1", { subAttribute: "$ref" }),
    );
  });

  it("splits URN-qualified paths at the last ':' so '2.0' stays in the URN", () => {
    expect(parseFilter(`${ENTERPRISE}:employeeNumber eq "701984"`)).toEqual(
      cmp("employeeNumber", "eq", "701984", { urn: ENTERPRISE }),
    );
    expect(parseFilter('urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J"')).toEqual(
      cmp("userName", "sw", "J", { urn: "urn:ietf:params:scim:schemas:core:2.0:User" }),
    );
    expect(parseFilter(`${ENTERPRISE}:manager.value eq "26118915-6090-4610-87e4-49d8ca9f808d"`)).toEqual(
      cmp("manager", "eq", "26118915-6090-4610-87e4-49d8ca9f808d", { urn: ENTERPRISE, subAttribute: "value" }),
    );
  });

  it("parses JSON compValues: escaped strings, numbers, true, false, null", () => {
    expect(parseFilter('displayName eq "a \\"quoted\\" \\\\ \\/ \\u00e9\\n"')).toEqual(
      cmp("displayName", "eq", 'a "quoted" \\ / é\n'),
    );
    expect(parseFilter("x eq 42")).toEqual({ ...cmp("x", "eq", 42), source: "42" });
    expect(parseFilter("x gt -1.5e3")).toEqual({ ...cmp("x", "gt", -1500), source: "-1.5e3" });
    expect(parseFilter("active eq true")).toEqual({ ...cmp("active", "eq", true), source: "true" });
    expect(parseFilter("active eq false")).toEqual({ ...cmp("active", "eq", false), source: "false" });
    expect(parseFilter("title eq null")).toEqual({ ...cmp("title", "eq", null), source: "null" });
  });

  it("reads an unquoted single token as a string (Entra's `externalId eq jyoung`, SCIMReferenceCode Postman's `co example.com`)", () => {
    expect(parseFilter("externalId eq jyoung")).toEqual(cmp("externalId", "eq", "jyoung"));
    expect(parseFilter("emails.value co example.com")).toEqual(cmp("emails", "co", "example.com", { subAttribute: "value" }));
    expect(parseFilter("meta.created gt 2011-05-13T04:42:34Z")).toEqual(
      cmp("meta", "gt", "2011-05-13T04:42:34Z", { subAttribute: "created" }),
    );
  });

  it("tolerates extra whitespace, tabs and no space around parentheses", () => {
    expect(parseFilter('  userName   eq\t"x"  ')).toEqual(cmp("userName", "eq", "x"));
    expect(parseFilter('not(userName eq"x")')).toEqual({ kind: "not", filter: cmp("userName", "eq", "x") });
  });
});

describe("parseFilter: logical operators and grouping", () => {
  const a = cmp("a", "eq", "1");
  const b = cmp("b", "eq", "2");
  const c = cmp("c", "eq", "3");

  it("binds and tighter than or: `a and b or c` = `(a and b) or c`", () => {
    expect(parseFilter('a eq "1" and b eq "2" or c eq "3"')).toEqual({
      kind: "or",
      left: { kind: "and", left: a, right: b },
      right: c,
    });
    expect(parseFilter('a eq "1" or b eq "2" and c eq "3"')).toEqual({
      kind: "or",
      left: a,
      right: { kind: "and", left: b, right: c },
    });
  });

  it("lets parentheses override precedence", () => {
    expect(parseFilter('a eq "1" and (b eq "2" or c eq "3")')).toEqual({
      kind: "and",
      left: a,
      right: { kind: "or", left: b, right: c },
    });
  });

  it("binds not tighter than and", () => {
    expect(parseFilter('not (a eq "1") and b eq "2"')).toEqual({ kind: "and", left: { kind: "not", filter: a }, right: b });
  });

  it("associates chains of and to the left", () => {
    expect(parseFilter('a eq "1" and b eq "2" and c eq "3"')).toEqual({
      kind: "and",
      left: { kind: "and", left: a, right: b },
      right: c,
    });
  });

  it("parses the SCIMReferenceCode Postman collection's unquoted, parenthesised filter", () => {
    expect(parseFilter("name.FamilyName eq Employee and (emails.Value co example.com or emails.Value co example.org)")).toEqual({
      kind: "and",
      left: cmp("name", "eq", "Employee", { subAttribute: "FamilyName" }),
      right: {
        kind: "or",
        left: cmp("emails", "co", "example.com", { subAttribute: "Value" }),
        right: cmp("emails", "co", "example.org", { subAttribute: "Value" }),
      },
    });
  });
});

describe("parseFilter: valuePath", () => {
  it("parses a complex value filter with nested and/or/not inside the brackets", () => {
    expect(parseFilter('emails[type eq "work" and (value co "@example.com" or not (primary eq false))]')).toEqual({
      kind: "valuePath",
      path: { attribute: "emails" },
      filter: {
        kind: "and",
        left: cmp("type", "eq", "work"),
        right: {
          kind: "or",
          left: cmp("value", "co", "@example.com"),
          right: { kind: "not", filter: { ...cmp("primary", "eq", false), source: "false" } },
        },
      },
    });
  });

  it("parses Entra's work-email matching filter `emails[type eq \"work\"].value eq` as one element", () => {
    expect(parseFilter('emails[type eq "work"].value eq "user@contoso.com"')).toEqual({
      kind: "valuePath",
      path: { attribute: "emails" },
      filter: { kind: "and", left: cmp("type", "eq", "work"), right: cmp("value", "eq", "user@contoso.com") },
    });
  });

  it("combines a valuePath with other expressions", () => {
    expect(parseFilter('userType eq "Employee" and emails[type eq "work" and value co "@example.com"]')).toMatchObject({
      kind: "and",
      right: { kind: "valuePath", path: { attribute: "emails" } },
    });
  });
});

describe("parseFilter: malformed input is 400 invalidFilter", () => {
  it.each([
    ["", "empty"],
    ['userName eq "x', "unterminated string"],
    ["userName", "missing operator"],
    ["userName eq", "missing value"],
    ['userName xx "x"', "unknown operator"],
    ['userName eq "x" and', "dangling and"],
    ['(userName eq "x"', "unclosed parenthesis"],
    ['userName eq "x")', "stray parenthesis"],
    ['userName eq "x" "y"', "two values"],
    ['not userName eq "x"', "not without parentheses"],
    ['emails[type eq "work"', "unclosed bracket"],
    ['emails[type eq "work"] eq "x"', "valuePath without sub-attribute compared"],
    ['emails[type[value eq "x"] eq "y"]', "nested valuePath"],
    ['name.givenName[value eq "x"]', "bracket after a sub-attribute"],
    ['a.b.c eq "x"', "two sub-attributes"],
    ['1abc eq "x"', "attribute name starting with a digit"],
    ['userName eq "\\x"', "invalid JSON escape"],
    ['urn::x eq "y"', "empty URN segment"],
  ])("rejects %j (%s)", (input) => {
    expectScimError(() => parseFilter(input), "invalidFilter");
  });

  it("says where the error is", () => {
    const err = expectScimError(() => parseFilter('userName eq "x" zz'), "invalidFilter");
    expect(err.message).toContain("position 17");
  });

  it("refuses input over the length limit", () => {
    const long = `userName eq "${"a".repeat(MAX_FILTER_LENGTH)}"`;
    expect(expectScimError(() => parseFilter(long), "invalidFilter").message).toContain(String(MAX_FILTER_LENGTH));
  });

  it("refuses nesting deeper than the depth limit but accepts it at the limit", () => {
    const nested = (n: number) => `${"(".repeat(n)}userName eq "x"${")".repeat(n)}`;
    expect(parseFilter(nested(MAX_FILTER_DEPTH))).toEqual(cmp("userName", "eq", "x"));
    expectScimError(() => parseFilter(nested(MAX_FILTER_DEPTH + 1)), "invalidFilter");
    expectScimError(() => parseFilter(`${"not (".repeat(MAX_FILTER_DEPTH + 1)}a pr${")".repeat(MAX_FILTER_DEPTH + 1)}`), "invalidFilter");
  });
});

describe("parsePatchPath (RFC 7644 §3.5.2)", () => {
  it("parses attrPath forms", () => {
    expect(parsePatchPath("userName")).toEqual({ path: { attribute: "userName" } });
    expect(parsePatchPath("name.familyName")).toEqual({ path: { attribute: "name", subAttribute: "familyName" } });
    expect(parsePatchPath(`${ENTERPRISE}:manager`)).toEqual({ path: { urn: ENTERPRISE, attribute: "manager" } });
    expect(parsePatchPath(`${ENTERPRISE}:manager.value`)).toEqual({
      path: { urn: ENTERPRISE, attribute: "manager", subAttribute: "value" },
    });
  });

  it("parses valuePath forms with and without a trailing sub-attribute", () => {
    expect(parsePatchPath('emails[type eq "work"].value')).toEqual({
      path: { attribute: "emails" },
      filter: cmp("type", "eq", "work"),
      subAttribute: "value",
    });
    expect(parsePatchPath('members[value eq "2819c223-7f76-453a-919d-413861904646"]')).toEqual({
      path: { attribute: "members" },
      filter: cmp("value", "eq", "2819c223-7f76-453a-919d-413861904646"),
    });
    expect(parsePatchPath('addresses[type eq "work"].formatted')).toEqual({
      path: { attribute: "addresses" },
      filter: cmp("type", "eq", "work"),
      subAttribute: "formatted",
    });
  });

  it("parses Entra's filter path on the single-valued URN-qualified manager", () => {
    expect(parsePatchPath(`${ENTERPRISE}:manager[value eq "x"]`)).toEqual({
      path: { urn: ENTERPRISE, attribute: "manager" },
      filter: cmp("value", "eq", "x"),
    });
  });

  it.each([
    [""],
    ["emails["],
    ['emails[type eq "work"'],
    ['emails[type eq "work"]value'],
    ['emails[type eq "work"].'],
    ['emails[type eq "work"].value.x'],
    ["userName eq"],
    ["name..familyName"],
    ['name.familyName[type eq "x"]'],
    ['emails[type zz "work"]'],
  ])("rejects %j with invalidPath", (input) => {
    expectScimError(() => parsePatchPath(input), "invalidPath");
  });
});
