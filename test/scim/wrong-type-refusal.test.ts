/**
 * A value of the wrong JSON type for a declared attribute is refused with
 * 400 invalidValue naming the attribute (RFC 7643 §2.3, RFC 7644 §3.12), in
 * POST, PUT and every PATCH dialect, and the refused request changes
 * nothing. The shapes identity providers are documented to send stay
 * accepted: Entra's string booleans and its bare-id manager.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { expectScimError, snapshot } from "../support/scim-error.js";
import { newScimTenant, type ScimTenant } from "../support/scim-tenant.js";

const USER = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";
const ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const KLAXON = "urn:ietf:params:scim:schemas:extension:klaxon:2.0:User";
const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

let t: ScimTenant;
let userId: string;
let managerId: string;
let groupId: string;

beforeAll(async () => {
  t = await newScimTenant();
  const manager = await t.request("POST", "/Users", { schemas: [USER], userName: "boss@contoso.com", displayName: "Boss" });
  expect(manager.status).toBe(201);
  managerId = manager.body.id;
  const user = await t.request("POST", "/Users", {
    schemas: [USER, ENTERPRISE],
    userName: "ann@contoso.com",
    displayName: "Ann",
    active: true,
    emails: [{ type: "work", value: "ann@contoso.com", primary: true }],
    [ENTERPRISE]: { employeeNumber: "1234" },
  });
  expect(user.status).toBe(201);
  userId = user.body.id;
  const group = await t.request("POST", "/Groups", { schemas: [GROUP], displayName: "Sales" });
  expect(group.status).toBe(201);
  groupId = group.body.id;
});

/** The users and groups of the tenant, to show a refused create made nothing. */
async function totals(): Promise<[number, number]> {
  const users = await t.request("GET", "/Users?count=0");
  const groups = await t.request("GET", "/Groups?count=0");
  return [users.body.totalResults, groups.body.totalResults];
}

function patch(path: string, Operations: unknown[]) {
  return t.request("PATCH", path, { schemas: [PATCH_OP], Operations });
}

describe("POST /Users", () => {
  it("a number or boolean where a string is declared → 400 invalidValue naming the attribute; nothing created", async () => {
    const before = await totals();
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ userName: 42 }, "userName"],
      [{ userName: true }, "userName"],
      [{ userName: "x1@contoso.com", displayName: 7 }, "displayName"],
      [{ userName: "x2@contoso.com", title: false }, "title"],
      [{ userName: "x3@contoso.com", emails: [{ type: "work", value: 5 }] }, "emails.value"],
      [{ userName: "x4@contoso.com", name: { givenName: 3 } }, "name.givenName"],
      [{ userName: "x5@contoso.com", [ENTERPRISE]: { employeeNumber: 1234 } }, `${ENTERPRISE}:employeeNumber`],
      [{ userName: "x6@contoso.com", [`${KLAXON}:location`]: 12 }, `${KLAXON}:location`],
    ];
    for (const [body, attribute] of cases) {
      const res = await t.request("POST", "/Users", { schemas: [USER], ...body });
      const detail = expectScimError(res, 400, "invalidValue");
      expect(detail, JSON.stringify(body)).toContain(`"${attribute}"`);
    }
    expect(await totals()).toEqual(before);
  });

  it("a string where multi-valued or complex is declared → 400 invalidValue; one object for a multi-valued attribute is still wrapped", async () => {
    const before = await totals();
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ userName: "y1@contoso.com", emails: "y1@contoso.com" }, "emails"],
      [{ userName: "y2@contoso.com", phoneNumbers: "+1 555 0100" }, "phoneNumbers"],
      [{ userName: "y3@contoso.com", name: "Ann" }, "name"],
      [{ userName: "y4@contoso.com", addresses: [{ postalCode: 75001 }] }, "addresses.postalCode"],
    ];
    for (const [body, attribute] of cases) {
      const detail = expectScimError(await t.request("POST", "/Users", { schemas: [USER], ...body }), 400, "invalidValue");
      expect(detail, JSON.stringify(body)).toContain(`"${attribute}"`);
    }
    expect(await totals()).toEqual(before);
    const wrapped = await t.request("POST", "/Users", { schemas: [USER], userName: "y5@contoso.com", emails: { value: "y5@contoso.com", type: "work" } });
    expect(wrapped.status).toBe(201);
    expect(wrapped.body.emails).toEqual([{ value: "y5@contoso.com", type: "work" }]);
  });

  it("Entra's string booleans and bare-id manager stay accepted beside a refused number", async () => {
    expectScimError(await t.request("POST", "/Users", { schemas: [USER], userName: "z0@contoso.com", externalId: 99 }), 400, "invalidValue");
    const res = await t.request("POST", "/Users", {
      schemas: [USER, ENTERPRISE],
      userName: "z1@contoso.com",
      active: "False",
      emails: [{ type: "work", value: "z1@contoso.com", primary: "True" }],
      [ENTERPRISE]: { manager: managerId },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.active).toBe(false);
    expect(res.body.emails[0].primary).toBe(true);
    expect(res.body[ENTERPRISE].manager.value).toBe(managerId);
    const array = await t.request("POST", "/Users", { schemas: [USER], userName: "z2@contoso.com", [ENTERPRISE]: { manager: [{ value: managerId }] } });
    expect(array.status, JSON.stringify(array.body)).toBe(201);
    expect(array.body[ENTERPRISE].manager.value).toBe(managerId);
  });
});

describe("PUT /Users/{id}", () => {
  it("wrong JSON types → 400 invalidValue naming the attribute; the user is unchanged", async () => {
    const before = await snapshot(t, `/Users/${userId}`);
    const base = { schemas: [USER], userName: "ann@contoso.com", displayName: "Ann", active: true };
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ ...base, userName: 42 }, "userName"],
      [{ ...base, displayName: false }, "displayName"],
      [{ ...base, emails: [{ type: "work", value: 5 }] }, "emails.value"],
      [{ ...base, emails: "ann@contoso.com" }, "emails"],
      [{ ...base, [ENTERPRISE]: { employeeNumber: 1234 } }, `${ENTERPRISE}:employeeNumber`],
    ];
    for (const [body, attribute] of cases) {
      const detail = expectScimError(await t.request("PUT", `/Users/${userId}`, body), 400, "invalidValue");
      expect(detail, JSON.stringify(body)).toContain(`"${attribute}"`);
    }
    expect(await snapshot(t, `/Users/${userId}`)).toEqual(before);
  });
});

describe("PATCH /Users/{id}", () => {
  it("a number for a string → 400 invalidValue in every dialect (path, no-path value, valuePath, URN path); the user is unchanged", async () => {
    const before = await snapshot(t, `/Users/${userId}`);
    const cases: Array<[unknown[], string]> = [
      [[{ op: "replace", path: "displayName", value: 42 }], "displayName"],
      [[{ op: "Add", path: "userName", value: 7 }], "userName"],
      [[{ op: "replace", value: { displayName: 42 } }], "displayName"],
      [[{ op: "Replace", value: { "name.givenName": 3 } }], "name.givenName"],
      [[{ op: "replace", path: 'emails[type eq "work"].value', value: 5 }], 'emails[type eq "work"].value'],
      [[{ op: "add", path: "emails", value: [{ type: "home", value: 5 }] }], "emails.value"],
      [[{ op: "Replace", path: `${ENTERPRISE}:employeeNumber`, value: 1234 }], `${ENTERPRISE}:employeeNumber`],
      [[{ op: "replace", value: { [ENTERPRISE]: { employeeNumber: 1234 } } }], `${ENTERPRISE}:employeeNumber`],
      // A valid first operation is not applied either (RFC 7644 §3.5.2: all or nothing).
      [[{ op: "replace", path: "title", value: "Lead" }, { op: "replace", path: "nickName", value: 1 }], "nickName"],
    ];
    for (const [ops, attribute] of cases) {
      const detail = expectScimError(await patch(`/Users/${userId}`, ops), 400, "invalidValue");
      expect(detail, JSON.stringify(ops)).toContain(`"${attribute}"`);
    }
    // A string where multi-valued or complex is declared is refused too.
    expectScimError(await patch(`/Users/${userId}`, [{ op: "replace", path: "emails", value: "ann@contoso.com" }]), 400, "invalidValue");
    expectScimError(await patch(`/Users/${userId}`, [{ op: "replace", value: { name: "Ann" } }]), 400, "invalidValue");
    expect(await snapshot(t, `/Users/${userId}`)).toEqual(before);
  });

  it("Entra's string booleans and manager as a bare id or [{value}] stay accepted", async () => {
    // Refused beside them: a boolean-looking number is not a boolean string.
    expectScimError(await patch(`/Users/${userId}`, [{ op: "replace", path: "externalId", value: 10 }]), 400, "invalidValue");
    const off = await patch(`/Users/${userId}`, [
      { op: "Replace", path: "active", value: "False" },
      { op: "Add", path: `${ENTERPRISE}:manager`, value: managerId },
    ]);
    expect(off.status, JSON.stringify(off.body)).toBe(200);
    expect(off.body.active).toBe(false);
    expect(off.body[ENTERPRISE].manager.value).toBe(managerId);
    const on = await patch(`/Users/${userId}`, [
      { op: "replace", value: { active: "true", [`${ENTERPRISE}:manager`]: [{ value: managerId }] } },
    ]);
    expect(on.status, JSON.stringify(on.body)).toBe(200);
    expect(on.body.active).toBe(true);
    expect(on.body[ENTERPRISE].manager.value).toBe(managerId);
  });
});

describe("Groups", () => {
  it("displayName as a number → 400 invalidValue in POST, PUT and PATCH; nothing created or changed", async () => {
    const before = await totals();
    const group = await snapshot(t, `/Groups/${groupId}`);
    let detail = expectScimError(await t.request("POST", "/Groups", { schemas: [GROUP], displayName: 42 }), 400, "invalidValue");
    expect(detail).toContain('"displayName"');
    detail = expectScimError(await t.request("PUT", `/Groups/${groupId}`, { schemas: [GROUP], displayName: true }), 400, "invalidValue");
    expect(detail).toContain('"displayName"');
    detail = expectScimError(await patch(`/Groups/${groupId}`, [{ op: "replace", path: "displayName", value: 42 }]), 400, "invalidValue");
    expect(detail).toContain('"displayName"');
    detail = expectScimError(await patch(`/Groups/${groupId}`, [{ op: "Replace", value: { displayName: 42 } }]), 400, "invalidValue");
    expect(detail).toContain('"displayName"');
    detail = expectScimError(await patch(`/Groups/${groupId}`, [{ op: "replace", path: "externalId", value: 5 }]), 400, "invalidValue");
    expect(detail).toContain('"externalId"');
    expect(await totals()).toEqual(before);
    expect(await snapshot(t, `/Groups/${groupId}`)).toEqual(group);
  });
});
