/**
 * Deprovisioning always goes through: a tenant policy judges only the values
 * a request changes, so narrowing allowedDomains or locations never stops an
 * identity provider from disabling, renaming or deleting existing users —
 * and a PUT without `active` keeps the stored value.
 */
import { describe, expect, it } from "vitest";
import { admin } from "../support/admin-client.js";
import { createGroup, createUser, expectLicenceInvariant, licenceOf, patchUser } from "../support/licences.js";
import { newScimTenant, type ScimTenant } from "../support/scim-tenant.js";

const USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User";
const VENDOR_EXT = "urn:ietf:params:scim:schemas:extension:klaxon:2.0:User";

/** A licensed user of fabrikam.com in a tenant that then allows only contoso.com. */
async function narrowedTenant(): Promise<{ t: ScimTenant; id: string }> {
  const t = await newScimTenant({ allowedDomains: ["fabrikam.com", "contoso.com"] });
  const id = await createUser(t, "ann@fabrikam.com", { emails: [{ type: "work", value: "ann@fabrikam.com", primary: true }], displayName: "Ann" });
  await createGroup(t, "Pro", "True", [id]);
  expect((await licenceOf(t.id, id))?.status).toBe("active");
  const res = await admin("PATCH", `/admin/tenants/${t.id}`, { allowedDomains: ["contoso.com"] });
  expect(res.status).toBe(200);
  return { t, id };
}

async function expectDisabled(t: ScimTenant, id: string): Promise<void> {
  const r = await t.request("GET", `/Users/${id}`);
  expect(r.body.active).toBe(false);
  expect((await licenceOf(t.id, id))?.status).toBe("downgraded");
  await expectLicenceInvariant(t.id);
}

describe("disabling a user from a domain the tenant no longer allows", () => {
  it("Entra's default dialect: Replace active \"False\" → 200, licence downgraded", async () => {
    const { t, id } = await narrowedTenant();
    const r = await patchUser(t, id, [{ op: "Replace", path: "active", value: "False" }]);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    await expectDisabled(t, id);
  });

  it("Entra's aadOptscim062020 dialect: replace without path, {active: false}", async () => {
    const { t, id } = await narrowedTenant();
    const r = await patchUser(t, id, [{ op: "replace", value: { active: false } }]);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    await expectDisabled(t, id);
  });

  it("Okta: PUT of the whole user with active false", async () => {
    const { t, id } = await narrowedTenant();
    const current = (await t.request("GET", `/Users/${id}`)).body;
    const r = await t.request("PUT", `/Users/${id}`, { ...current, active: false });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    await expectDisabled(t, id);
  });

  it("a rename that keeps userName and emails is not judged; DELETE goes through", async () => {
    const { t, id } = await narrowedTenant();
    expect((await patchUser(t, id, [{ op: "replace", path: "displayName", value: "Ann B." }])).status).toBe(200);
    expect((await t.request("DELETE", `/Users/${id}`)).status).toBe(204);
    expect(await licenceOf(t.id, id)).toBeNull();
    await expectLicenceInvariant(t.id);
  });

  it("values the request changes are still judged: a new userName or email of a refused domain → 400", async () => {
    const { t, id } = await narrowedTenant();
    const renamed = await patchUser(t, id, [{ op: "replace", path: "userName", value: "ann@other.example" }]);
    expect(renamed.status).toBe(400);
    expect(renamed.body.scimType).toBe("invalidValue");
    const email = await patchUser(t, id, [{ op: "add", path: "emails", value: [{ type: "home", value: "ann@other.example" }] }]);
    expect(email.status).toBe(400);
    expect(email.body.detail).toContain("other.example");
    const moved = await patchUser(t, id, [{ op: "replace", path: "userName", value: "ann@contoso.com" }]);
    expect(moved.status).toBe(200);
    expect((await t.request("GET", `/Users/${id}`)).body.userName).toBe("ann@contoso.com");
  });
});

describe("locations", () => {
  it("a stored location is kept when the tenant's list changes and the request does not touch it", async () => {
    const t = await newScimTenant({ locations: ["Berlin", "Paris"] });
    const id = await createUser(t, "bo@contoso.com", { [VENDOR_EXT]: { location: "paris" } });
    expect((await t.request("GET", `/Users/${id}`)).body[VENDOR_EXT].location).toBe("Paris");
    expect((await admin("PATCH", `/admin/tenants/${t.id}`, { locations: ["Berlin"] })).status).toBe(200);
    expect((await patchUser(t, id, [{ op: "Replace", path: "active", value: "False" }])).status).toBe(200);
    const after = await t.request("GET", `/Users/${id}`);
    expect(after.body.active).toBe(false);
    expect(after.body[VENDOR_EXT].location).toBe("Paris");
    // A location the request sets is judged by today's list.
    expect((await patchUser(t, id, [{ op: "replace", path: `${VENDOR_EXT}:location`, value: "Rome" }])).status).toBe(200);
    expect((await t.request("GET", `/Users/${id}`)).body[VENDOR_EXT].location).toBe("Default");
  });
});

describe("PUT without active", () => {
  it("keeps a disabled user disabled and grants no licence", async () => {
    const t = await newScimTenant();
    const id = await createUser(t, "cy@contoso.com");
    await createGroup(t, "Pro", "True", [id]);
    expect((await patchUser(t, id, [{ op: "replace", path: "active", value: false }])).status).toBe(200);
    const before = await licenceOf(t.id, id);
    expect(before?.status).toBe("downgraded");
    const r = await t.request("PUT", `/Users/${id}`, { schemas: [USER_SCHEMA], userName: "cy@contoso.com", displayName: "Cy" });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.active).toBe(false);
    expect(await licenceOf(t.id, id)).toEqual(before);
    await expectLicenceInvariant(t.id);
  });

  it("keeps an active user active", async () => {
    const t = await newScimTenant();
    const id = await createUser(t, "di@contoso.com");
    const r = await t.request("PUT", `/Users/${id}`, { schemas: [USER_SCHEMA], userName: "di@contoso.com" });
    expect(r.status).toBe(200);
    expect(r.body.active).toBe(true);
  });
});
