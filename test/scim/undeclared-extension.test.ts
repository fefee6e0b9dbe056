/**
 * Data under an extension the service does not declare (an Entra admin's
 * own `urn:…:acme:2.0:User`) is refused, never silently dropped: POST and
 * PUT answer 400 invalidValue naming the URN and the declared extensions;
 * PATCH answers 400 invalidPath (RFC 7644 §3.5.2, unknown path) naming it.
 * A URN listed in `schemas` without data (Entra's ADSCIM Group schema) and
 * unknown plain attributes (Microsoft's "misspelled attribute" PUT → 200)
 * are still accepted.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { expectScimError, snapshot } from "../support/scim-error.js";
import { newScimTenant, type ScimTenant } from "../support/scim-tenant.js";

const USER = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";
const ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const KLAXON = "urn:ietf:params:scim:schemas:extension:klaxon:2.0:User";
const LICENCE = "urn:ietf:params:scim:schemas:extension:klaxoon:2.0:Group";
const ACME_USER = "urn:ietf:params:scim:schemas:extension:acme:2.0:User";
const ACME_GROUP = "urn:ietf:params:scim:schemas:extension:acme:2.0:Group";
const ADSCIM_GROUP = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group";
const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

let t: ScimTenant;
let userId: string;
let groupId: string;

beforeAll(async () => {
  t = await newScimTenant();
  const user = await t.request("POST", "/Users", { schemas: [USER], userName: "ann@contoso.com", displayName: "Ann" });
  expect(user.status).toBe(201);
  userId = user.body.id;
  const group = await t.request("POST", "/Groups", { schemas: [GROUP], displayName: "Sales", members: [{ value: userId }] });
  expect(group.status).toBe(201);
  groupId = group.body.id;
});

async function userCount(): Promise<number> {
  return (await t.request("GET", "/Users?count=0")).body.totalResults;
}

/** The detail names the undeclared URN and every declared one. */
function expectNamesUrns(detail: string, undeclared: string, declared: string[]): void {
  expect(detail).toContain(`"${undeclared}`);
  for (const urn of declared) expect(detail).toContain(urn);
}

describe("POST and PUT /Users", () => {
  it("data under an undeclared extension object → 400 invalidValue naming it and the declared ones; nothing created", async () => {
    const before = await userCount();
    const res = await t.request("POST", "/Users", {
      schemas: [USER, ACME_USER],
      userName: "bob@contoso.com",
      [ACME_USER]: { costCenter: "CC-42" },
    });
    expectNamesUrns(expectScimError(res, 400, "invalidValue"), ACME_USER, [ENTERPRISE, KLAXON]);
    expect(await userCount()).toBe(before);
    const found = await t.request("GET", `/Users?filter=${encodeURIComponent('userName eq "bob@contoso.com"')}`);
    expect(found.body.totalResults).toBe(0);
  });

  it("a URN-qualified flat key of an undeclared extension → 400 invalidValue; nothing created", async () => {
    const before = await userCount();
    const res = await t.request("POST", "/Users", { schemas: [USER], userName: "bob@contoso.com", [`${ACME_USER}:costCenter`]: "CC-42" });
    const detail = expectScimError(res, 400, "invalidValue");
    expectNamesUrns(detail, ACME_USER, [ENTERPRISE, KLAXON]);
    expect(detail).toContain(`${ACME_USER}:costCenter`);
    expect(await userCount()).toBe(before);
  });

  it("PUT with undeclared extension data → 400 invalidValue; the user is unchanged", async () => {
    const before = await snapshot(t, `/Users/${userId}`);
    for (const body of [
      { schemas: [USER], userName: "ann@contoso.com", displayName: "Ann B", [ACME_USER]: { costCenter: "CC-42" } },
      { schemas: [USER], userName: "ann@contoso.com", displayName: "Ann B", [`${ACME_USER}:costCenter`]: "CC-42" },
    ]) {
      expectNamesUrns(expectScimError(await t.request("PUT", `/Users/${userId}`, body), 400, "invalidValue"), ACME_USER, [ENTERPRISE, KLAXON]);
    }
    expect(await snapshot(t, `/Users/${userId}`)).toEqual(before);
  });

  it("a URN without data and an unknown plain attribute are accepted, while the same URN with data is refused", async () => {
    expectScimError(
      await t.request("POST", "/Users", { schemas: [USER, ENTERPRISE, ACME_USER], userName: "cat@contoso.com", [ACME_USER]: { costCenter: "x" } }),
      400,
      "invalidValue",
    );
    const res = await t.request("POST", "/Users", {
      schemas: [USER, ENTERPRISE, ACME_USER],
      userName: "cat@contoso.com",
      [ACME_USER]: { costCenter: null },
      [`${ACME_USER}:division`]: "",
      displayNmae: "typo",
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.schemas).toEqual([USER]);
    expect(res.body).not.toHaveProperty(ACME_USER);
    expect(res.body).not.toHaveProperty("displayNmae");
    // Microsoft's reference suite: a PUT with a misspelled attribute → 200.
    const put = await t.request("PUT", `/Users/${res.body.id}`, { schemas: [USER], userName: "cat@contoso.com", nickNmae: "Kit" });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
  });
});

describe("POST and PUT /Groups", () => {
  it("undeclared extension data → 400 invalidValue naming it and the licence extension; nothing created or changed", async () => {
    const groupsBefore = (await t.request("GET", "/Groups?count=0")).body.totalResults;
    const before = await snapshot(t, `/Groups/${groupId}`);
    const post = await t.request("POST", "/Groups", { schemas: [GROUP, ACME_GROUP], displayName: "Ops", [ACME_GROUP]: { costCenter: "CC-1" } });
    expectNamesUrns(expectScimError(post, 400, "invalidValue"), ACME_GROUP, [LICENCE]);
    const flat = await t.request("POST", "/Groups", { schemas: [GROUP], displayName: "Ops", [`${ACME_GROUP}:costCenter`]: "CC-1" });
    expectNamesUrns(expectScimError(flat, 400, "invalidValue"), ACME_GROUP, [LICENCE]);
    const put = await t.request("PUT", `/Groups/${groupId}`, {
      schemas: [GROUP],
      displayName: "Sales renamed",
      members: [],
      [ACME_GROUP]: { costCenter: "CC-1" },
    });
    expectNamesUrns(expectScimError(put, 400, "invalidValue"), ACME_GROUP, [LICENCE]);
    expect((await t.request("GET", "/Groups?count=0")).body.totalResults).toBe(groupsBefore);
    expect(await snapshot(t, `/Groups/${groupId}`)).toEqual(before);
  });

  it("Entra's ADSCIM and enterprise URNs listed only in schemas are accepted; ADSCIM data is refused", async () => {
    const withData = await t.request("POST", "/Groups", { schemas: [GROUP, ADSCIM_GROUP], displayName: "Entra", [ADSCIM_GROUP]: { objectId: "x" } });
    expectNamesUrns(expectScimError(withData, 400, "invalidValue"), ADSCIM_GROUP, [LICENCE]);
    const res = await t.request("POST", "/Groups", { schemas: [GROUP, ADSCIM_GROUP, ENTERPRISE], displayName: "Entra", externalId: "e-1" });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.schemas).toEqual([GROUP]);
  });
});

describe("PATCH", () => {
  it("a path or no-path key under an undeclared extension → 400 invalidPath naming the URN and the declared ones; nothing changed", async () => {
    const before = await snapshot(t, `/Users/${userId}`);
    const cases: unknown[][] = [
      [{ op: "add", path: `${ACME_USER}:costCenter`, value: "CC-42" }],
      [{ op: "Replace", path: ACME_USER, value: { costCenter: "CC-42" } }],
      [{ op: "remove", path: `${ACME_USER}:costCenter` }],
      [{ op: "replace", value: { [ACME_USER]: { costCenter: "CC-42" } } }],
      [{ op: "Replace", value: { displayName: "Ann B", [`${ACME_USER}:costCenter`]: "CC-42" } }],
    ];
    for (const Operations of cases) {
      const res = await t.request("PATCH", `/Users/${userId}`, { schemas: [PATCH_OP], Operations });
      expectNamesUrns(expectScimError(res, 400, "invalidPath"), ACME_USER, [ENTERPRISE, KLAXON]);
    }
    expect(await snapshot(t, `/Users/${userId}`)).toEqual(before);

    const group = await snapshot(t, `/Groups/${groupId}`);
    const res = await t.request("PATCH", `/Groups/${groupId}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: "replace", path: `${ACME_GROUP}:costCenter`, value: "CC-1" }],
    });
    expectNamesUrns(expectScimError(res, 400, "invalidPath"), ACME_GROUP, [LICENCE]);
    expect(await snapshot(t, `/Groups/${groupId}`)).toEqual(group);
  });
});
