/**
 * Requests the fuzz suite (test/fuzz) found answered wrongly, pinned here
 * one by one: each is the shrunk counterexample it printed.
 */
import { describe, expect, it } from "vitest";
import { createGroup, createUser, expectLicenceInvariant, LICENCE_EXT, licenceOf, patchGroup } from "../support/licences.js";
import { newScimTenant } from "../support/scim-tenant.js";

describe("found by the fuzz suite", () => {
  it("PATCH replacing or removing all members of an unknown (or another tenant's) group → 404, not 500", async () => {
    const t = await newScimTenant();
    const other = await newScimTenant();
    const foreign = await createGroup(other, "Theirs", false);
    for (const id of ["00000000-0000-0000-0000-000000000000", foreign]) {
      for (const op of [{ op: "replace", path: "members", value: [] }, { op: "remove", path: "members" }]) {
        const r = await patchGroup(t, id, [op]);
        expect(r.status, JSON.stringify(op)).toBe(404);
        expect(r.body).toMatchObject({ status: "404" });
      }
    }
  });

  it("a downgraded user added to a free group that turns licensing in the same PATCH: one licence, counters exact", async () => {
    const t = await newScimTenant({ proGraceHours: 23 });
    const x = await createUser(t, "x@contoso.com");
    const pro = await createGroup(t, "Pro", true, [x]);
    expect((await patchGroup(t, pro, [{ op: "remove", path: "members", value: [{ value: x }] }])).status).toBe(204);
    expect((await licenceOf(t.id, x))?.status).toBe("downgraded");
    const free = await createGroup(t, "Free", false);
    const r = await patchGroup(t, free, [
      { op: "add", path: "members", value: [{ value: x }] },
      { op: "replace", path: `${LICENCE_EXT}:license`, value: true },
    ]);
    expect(r.status).toBe(204);
    expect((await licenceOf(t.id, x))?.status).toBe("active");
    expect(await expectLicenceInvariant(t.id)).toMatchObject({ proLicenses: 1, downgradedLicenses: 0 });
  });

  it("a body nested thousands of levels deep → 400 invalidSyntax, not a stack overflow", async () => {
    const t = await newScimTenant();
    let deep: unknown = "x";
    for (let i = 0; i < 5000; i++) deep = { a: deep };
    for (const [method, path, body] of [
      ["POST", "/Users", { userName: "deep@contoso.com", "urn:ietf:params:scim:schemas:extension:acme:2.0:User:costCenter": deep }],
      ["POST", "/Groups", { displayName: "Deep", "urn:ietf:params:scim:schemas:extension:acme:2.0:Group": deep }],
    ] as const) {
      const r = await t.request(method, path, body);
      expect(r.status).toBe(400);
      expect(r.body).toMatchObject({ status: "400", scimType: "invalidSyntax" });
    }
    expect((await t.request("GET", `/Users?filter=${encodeURIComponent('userName eq "deep@contoso.com"')}`)).body.totalResults).toBe(0);
  });
});
