/**
 * A PATCH or PUT that changes nothing leaves meta.version and
 * meta.lastModified as they were (RFC 7644 §3.14: the version names the
 * resource's state), for groups as for users.
 */
import { describe, expect, it } from "vitest";
import { createGroup, createUser, GROUP_SCHEMA, patchGroup, patchUser } from "../support/licences.js";
import { newScimTenant, type ScimTenant } from "../support/scim-tenant.js";

const USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User";

async function metaOf(t: ScimTenant, path: string): Promise<{ version: string; lastModified: string }> {
  const r = await t.request("GET", `${path}?excludedAttributes=members`);
  expect(r.status).toBe(200);
  return { version: r.body.meta.version, lastModified: r.body.meta.lastModified };
}

describe("groups", () => {
  it("re-adding a current member 3,000 times keeps meta", async () => {
    const t = await newScimTenant();
    const u = await createUser(t, "a@contoso.com");
    const g = await createGroup(t, "Sales", "False", [u]);
    const before = await metaOf(t, `/Groups/${g}`);
    const ops = Array.from({ length: 3000 }, () => ({ op: "add", path: "members", value: [{ value: u }] }));
    const r = await patchGroup(t, g, ops);
    expect(r.status).toBe(204);
    expect(r.headers.get("etag")).toBe(before.version);
    expect(await metaOf(t, `/Groups/${g}`)).toEqual(before);
  });

  it("removing a non-member, replacing displayName with itself, and a PUT of the same group keep meta", async () => {
    const t = await newScimTenant();
    const u = await createUser(t, "b@contoso.com");
    const other = await createUser(t, "c@contoso.com");
    const g = await createGroup(t, "Ops", "True", [u]);
    const before = await metaOf(t, `/Groups/${g}`);
    expect((await patchGroup(t, g, [{ op: "remove", path: "members", value: [{ value: other }] }])).status).toBe(204);
    expect((await patchGroup(t, g, [{ op: "replace", path: "displayName", value: "Ops" }])).status).toBe(204);
    const put = await t.request("PUT", `/Groups/${g}`, { schemas: [GROUP_SCHEMA], displayName: "Ops", members: [{ value: u }] });
    expect(put.status).toBe(200);
    expect(put.body.meta.version).toBe(before.version);
    expect(await metaOf(t, `/Groups/${g}`)).toEqual(before);
    // A real change still moves the version.
    expect((await patchGroup(t, g, [{ op: "add", path: "members", value: [{ value: other }] }])).status).toBe(204);
    expect((await metaOf(t, `/Groups/${g}`)).version).not.toBe(before.version);
  });
});

describe("users", () => {
  it("replacing a value with itself, and a PUT of the same values in another key order, keep meta", async () => {
    const t = await newScimTenant();
    const id = await createUser(t, "d@contoso.com", {
      displayName: "Dee",
      emails: [{ type: "work", value: "d@contoso.com", primary: true }],
      name: { givenName: "Dee", familyName: "Doe" },
    });
    const before = await metaOf(t, `/Users/${id}`);
    expect((await patchUser(t, id, [{ op: "replace", path: "displayName", value: "Dee" }])).status).toBe(200);
    const put = await t.request("PUT", `/Users/${id}`, {
      schemas: [USER_SCHEMA],
      name: { familyName: "Doe", givenName: "Dee" },
      emails: [{ primary: true, value: "d@contoso.com", type: "work" }],
      active: true,
      displayName: "Dee",
      userName: "d@contoso.com",
    });
    expect(put.status).toBe(200);
    expect(put.body.meta.version).toBe(before.version);
    expect(await metaOf(t, `/Users/${id}`)).toEqual(before);
  });
});
