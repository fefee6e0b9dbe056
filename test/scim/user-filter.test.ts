/**
 * The filter grammar of RFC 7644 §3.4.2.2 on GET /Users, through the real
 * worker and D1: every operator, logic and precedence, valuePath filters,
 * URN-qualified paths, caseExact per attribute, and the 400 invalidFilter
 * cases.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { newScimTenant, type ScimTenant } from "../support/scim-tenant.js";

const USER = "urn:ietf:params:scim:schemas:core:2.0:User";
const ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const KLAXON = "urn:ietf:params:scim:schemas:extension:klaxon:2.0:User";

let t: ScimTenant;

beforeAll(async () => {
  t = await newScimTenant();
  const users = [
    { userName: "anna@x.com", externalId: "EXT-a", displayName: "Anna", title: "Dev", active: true, emails: [{ type: "work", value: "anna@x.com" }, { type: "home", value: "anna@home.org" }], [ENTERPRISE]: { department: "Sales", employeeNumber: "100" }, [KLAXON]: { location: "Paris" } },
    { userName: "bob@y.com", externalId: "ext-b", displayName: "Bob", active: false, emails: [{ type: "work", value: "bob@y.com" }, { type: "home", value: "bob@x.com" }], [ENTERPRISE]: { department: "Ops", employeeNumber: "200" } },
    { userName: "Ärni@x.com", externalId: "ext-c", displayName: "Ärni", title: "Boss", active: true, emails: [{ type: "home", value: "arni@x.com" }], [ENTERPRISE]: { department: "Sales" } },
    { userName: "dora@z.com", displayName: "Dora", active: true, name: { familyName: "Explorer" } },
  ];
  for (const u of users) {
    const res = await t.request("POST", "/Users", { schemas: [USER], ...u });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
  }
});

async function names(filter: string): Promise<string[]> {
  const res = await t.request("GET", `/Users?filter=${encodeURIComponent(filter)}`);
  expect(res.status, `${filter}: ${JSON.stringify(res.body)}`).toBe(200);
  expect(res.body.totalResults).toBe(res.body.Resources.length);
  return res.body.Resources.map((r: { userName: string }) => r.userName).sort();
}

describe("operators", () => {
  const cases: Array<[string, string[]]> = [
    ['userName eq "anna@x.com"', ["anna@x.com"]],
    ['userName ne "anna@x.com"', ["bob@y.com", "dora@z.com", "Ärni@x.com"]],
    ['userName co "@x."', ["anna@x.com", "Ärni@x.com"]],
    ['userName sw "B"', ["bob@y.com"]],
    ['userName ew "Z.COM"', ["dora@z.com"]],
    ["title pr", ["anna@x.com", "Ärni@x.com"]],
    ['userName gt "bob@y.com"', ["dora@z.com", "Ärni@x.com"]],
    ['userName ge "bob@y.com"', ["bob@y.com", "dora@z.com", "Ärni@x.com"]],
    ['userName lt "bob@y.com"', ["anna@x.com"]],
    ['userName le "bob@y.com"', ["anna@x.com", "bob@y.com"]],
    ["active eq false", ["bob@y.com"]],
    ["active eq true", ["anna@x.com", "dora@z.com", "Ärni@x.com"]],
    ['meta.created gt "2000-01-01T00:00:00Z"', ["anna@x.com", "bob@y.com", "dora@z.com", "Ärni@x.com"]],
    ['meta.created lt "2000-01-01T00:00:00Z"', []],
    ['emails.value ew "@x.com"', ["anna@x.com", "bob@y.com", "Ärni@x.com"]],
  ];
  for (const [filter, expected] of cases) {
    it(filter, async () => {
      expect(await names(filter)).toEqual(expected);
    });
  }
});

describe("logic and precedence", () => {
  const cases: Array<[string, string[]]> = [
    ['userName sw "a" and active eq true', ["anna@x.com"]],
    ['userName eq "anna@x.com" or userName eq "bob@y.com"', ["anna@x.com", "bob@y.com"]],
    ['not (userName sw "a")', ["bob@y.com", "dora@z.com", "Ärni@x.com"]],
    // and binds tighter than or: (bob and active) or dora → dora only.
    ['userName eq "bob@y.com" and active eq true or userName eq "dora@z.com"', ["dora@z.com"]],
    ['userName eq "bob@y.com" and (active eq true or userName eq "dora@z.com")', []],
    ['(userName eq "bob@y.com" or userName eq "dora@z.com") and not (active eq false)', ["dora@z.com"]],
    ['title pr and not (title eq "dev")', ["Ärni@x.com"]],
    ['USERNAME EQ "ANNA@X.COM" AND ACTIVE EQ TRUE', ["anna@x.com"]],
  ];
  for (const [filter, expected] of cases) {
    it(filter, async () => {
      expect(await names(filter)).toEqual(expected);
    });
  }
});

describe("valuePath and extension paths", () => {
  const cases: Array<[string, string[]]> = [
    ['emails[type eq "work" and value co "@x"]', ["anna@x.com"]],
    ['emails[type eq "home" and value co "@x"]', ["bob@y.com", "Ärni@x.com"]],
    ['emails[type eq "work"].value eq "BOB@y.com"', ["bob@y.com"]],
    ['emails[type eq "work" and value eq "anna@x.com"]', ["anna@x.com"]],
    ['emails[type eq "work"] and emails[value co "home"]', ["anna@x.com"]],
    [`${ENTERPRISE}:department eq "Sales"`, ["anna@x.com", "Ärni@x.com"]],
    [`${ENTERPRISE}:department eq "sales" and ${ENTERPRISE}:employeeNumber pr`, ["anna@x.com"]],
    [`${KLAXON}:location eq "Paris"`, ["anna@x.com"]],
    [`${USER}:userName eq "dora@z.com"`, ["dora@z.com"]],
    ['name.familyName eq "explorer"', ["dora@z.com"]],
  ];
  for (const [filter, expected] of cases) {
    it(filter, async () => {
      expect(await names(filter)).toEqual(expected);
    });
  }
});

describe("case sensitivity per attribute", () => {
  it("userName is case-insensitive, Unicode included (Ä/ä)", async () => {
    expect(await names('userName eq "ANNA@X.COM"')).toEqual(["anna@x.com"]);
    expect(await names('userName eq "ärni@x.com"')).toEqual(["Ärni@x.com"]);
    expect(await names('userName eq "ÄRNI@X.COM"')).toEqual(["Ärni@x.com"]);
    expect(await names('userName sw "är"')).toEqual(["Ärni@x.com"]);
  });

  it("externalId is case-sensitive", async () => {
    expect(await names('externalId eq "EXT-a"')).toEqual(["anna@x.com"]);
    expect(await names('externalId eq "ext-a"')).toEqual([]);
    expect(await names('externalId eq "EXT-B"')).toEqual([]);
    expect(await names('externalId eq "ext-b"')).toEqual(["bob@y.com"]);
  });

  it("an unquoted value is read as a string (Entra's `externalId eq jyoung`)", async () => {
    expect(await names("externalId eq ext-c")).toEqual(["Ärni@x.com"]);
  });
});

describe("invalid filters → 400 invalidFilter", () => {
  const bad = [
    'noSuchAttribute eq "x"',
    'name.nope eq "x"',
    `urn:ietf:params:scim:schemas:extension:nope:2.0:User:department eq "x"`,
    'userName eq "unterminated',
    'userName equals "x"',
    'userName eq "a" and',
    '(userName eq "a"',
    'emails[type eq "work"',
    "userName",
    'password eq "x"',
  ];
  for (const filter of bad) {
    it(filter, async () => {
      const res = await t.request("GET", `/Users?filter=${encodeURIComponent(filter)}`);
      expect(res.status, JSON.stringify(res.body)).toBe(400);
      expect(res.body.scimType).toBe("invalidFilter");
      expect(res.body.status).toBe("400");
    });
  }
});
