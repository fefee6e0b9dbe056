/**
 * The licence attribute when a request does not carry it: on create the
 * tenant's `licenceWhenAbsent` policy decides ("pro", the default, or
 * "free"); a PUT or a PATCH that does not name it keeps the group's stored
 * licence — an identity provider that does not know the extension (Okta's
 * group push) never flips a licence.
 */
import { describe, expect, it } from "vitest";
import { admin } from "../support/admin-client.js";
import { createGroup, createUser, expectLicenceInvariant, GROUP_SCHEMA, groupLicensing, LICENCE_EXT, licenceOf, patchGroup } from "../support/licences.js";
import { newScimTenant } from "../support/scim-tenant.js";

describe("licence absent on create", () => {
  it("default policy (pro): a group without the extension licenses its members", async () => {
    const t = await newScimTenant();
    const u = await createUser(t, "a@contoso.com");
    const g = await createGroup(t, "Everyone", undefined, [u]);
    expect(await groupLicensing(t.id, g)).toBe(true);
    expect((await licenceOf(t.id, u))?.status).toBe("active");
  });

  it("licenceWhenAbsent free: Okta's group push (displayName and members only) grants nothing", async () => {
    const t = await newScimTenant({ licenceWhenAbsent: "free" });
    const u = await createUser(t, "b@contoso.com");
    const g = await createGroup(t, "Okta push", undefined, [u]);
    expect(await groupLicensing(t.id, g)).toBe(false);
    expect(await licenceOf(t.id, u)).toBeNull();
    // An explicit value still wins over the policy.
    const pro = await createGroup(t, "Pro", "True", [u]);
    expect(await groupLicensing(t.id, pro)).toBe(true);
    expect((await licenceOf(t.id, u))?.status).toBe("active");
    await expectLicenceInvariant(t.id);
  });

  it("the policy can be changed by PATCH /admin/tenants/{id} and applies to later creates", async () => {
    const t = await newScimTenant();
    expect((await admin("PATCH", `/admin/tenants/${t.id}`, { licenceWhenAbsent: "free" })).status).toBe(200);
    const g = await createGroup(t, "Later", undefined);
    expect(await groupLicensing(t.id, g)).toBe(false);
  });
});

describe("licence absent on PUT and PATCH", () => {
  it("a PATCH that does not name the extension keeps a free group free", async () => {
    const t = await newScimTenant({ licenceWhenAbsent: "free" });
    const u = await createUser(t, "c@contoso.com");
    const g = await createGroup(t, "Sales", undefined, [u]);
    expect((await patchGroup(t, g, [{ op: "replace", path: "displayName", value: "Sales EMEA" }])).status).toBe(204);
    expect(await groupLicensing(t.id, g)).toBe(false);
    expect(await licenceOf(t.id, u)).toBeNull();
    await expectLicenceInvariant(t.id);
  });

  it("a PUT without the extension keeps a licensing group licensing, and its stored value", async () => {
    const t = await newScimTenant();
    const u = await createUser(t, "d@contoso.com");
    const g = await createGroup(t, "Pro", "True", [u]);
    const r = await t.request("PUT", `/Groups/${g}`, { schemas: [GROUP_SCHEMA], displayName: "Pro", members: [{ value: u }] });
    expect(r.status).toBe(200);
    expect(r.body[LICENCE_EXT]).toEqual({ license: "True" });
    expect(await groupLicensing(t.id, g)).toBe(true);
    expect((await licenceOf(t.id, u))?.status).toBe("active");
  });

  it("a PUT without the extension keeps a non-licensing group non-licensing", async () => {
    const t = await newScimTenant();
    const u = await createUser(t, "e@contoso.com");
    const g = await createGroup(t, "Free", "False", [u]);
    const r = await t.request("PUT", `/Groups/${g}`, { schemas: [GROUP_SCHEMA], displayName: "Free 2", members: [{ value: u }] });
    expect(r.status).toBe(200);
    expect(await groupLicensing(t.id, g)).toBe(false);
    expect(await licenceOf(t.id, u)).toBeNull();
    await expectLicenceInvariant(t.id);
  });

  it("a PATCH naming the licence still flips it", async () => {
    const t = await newScimTenant({ licenceWhenAbsent: "free" });
    const u = await createUser(t, "f@contoso.com");
    const g = await createGroup(t, "Later Pro", undefined, [u]);
    expect((await patchGroup(t, g, [{ op: "add", path: `${LICENCE_EXT}:license`, value: "True" }])).status).toBe(204);
    expect(await groupLicensing(t.id, g)).toBe(true);
    expect((await licenceOf(t.id, u))?.status).toBe("active");
  });
});
