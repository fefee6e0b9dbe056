/**
 * Microsoft Entra's exact group requests: both PATCH
 * dialects, capitalised ops, `"$ref": null`, excludedAttributes=members.
 */
import { describe, expect, it } from "vitest";
import { memberIdsOf, newScimTenant } from "../support/scim-tenant.js";
import { expectExactCounters } from "../support/tenant-counters.js";

const GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";
const ADSCIM = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group";
const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

describe("Entra group provisioning", () => {
  it("match, create, add, default-dialect remove (only those), flag-dialect remove, rename, delete", async () => {
    const t = await newScimTenant();
    const ids: string[] = [];
    for (const n of ["f1", "f2", "f3", "f4"]) ids.push((await t.request("POST", "/Users", { userName: `${n}@contoso.com`, active: true })).body.id);
    const [u1, u2, u3, u4] = ids as [string, string, string, string];

    const match = await t.request("GET", `/Groups?excludedAttributes=members&filter=${encodeURIComponent('displayName eq "Sales"')}`);
    expect(match.status).toBe(200);
    expect(match.body.totalResults).toBe(0);

    const created = await t.request("POST", "/Groups", {
      schemas: [GROUP, ADSCIM],
      externalId: "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
      displayName: "Sales",
      meta: { resourceType: "Group" },
    });
    expect(created.status).toBe(201);
    expect(created.body.members).toEqual([]);
    const g = created.body.id as string;

    const add = await t.request("PATCH", `/Groups/${g}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: "Add", path: "members", value: ids.map((value) => ({ $ref: null, value })) }],
    });
    expect(add.status).toBe(204);
    expect(await memberIdsOf(t, g)).toEqual([...ids].sort());
    expect((await expectExactCounters(t.id)).memberships).toBe(4);

    // Default dialect: Remove + value array removes ONLY u1 (the classic "empties the group" bug).
    const removeDefault = await t.request("PATCH", `/Groups/${g}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: "Remove", path: "members", value: [{ $ref: null, value: u1 }] }],
    });
    expect(removeDefault.status).toBe(204);
    expect(await memberIdsOf(t, g)).toEqual([u2, u3, u4].sort());
    expect((await expectExactCounters(t.id)).memberships).toBe(3);

    // Flag dialect (aadOptscim062020).
    const removeFlag = await t.request("PATCH", `/Groups/${g}?aadOptscim062020`, {
      schemas: [PATCH_OP],
      Operations: [{ op: "remove", path: `members[value eq "${u2}"]` }],
    });
    expect(removeFlag.status).toBe(204);
    expect(await memberIdsOf(t, g)).toEqual([u3, u4].sort());
    expect((await expectExactCounters(t.id)).memberships).toBe(2);

    const lookup = await t.request("GET", `/Groups/${g}?excludedAttributes=members`);
    expect(lookup.status).toBe(200);
    expect(lookup.body).not.toHaveProperty("members");
    expect(lookup.rowsRead).toBeLessThanOrEqual(3);

    const rename = await t.request("PATCH", `/Groups/${g}`, { schemas: [PATCH_OP], Operations: [{ op: "Replace", path: "displayName", value: "Sales EMEA" }] });
    expect(rename.status).toBe(204);
    const found = await t.request("GET", `/Groups?excludedAttributes=members&filter=${encodeURIComponent('displayName eq "Sales EMEA"')}`);
    expect(found.body.Resources.map((r: { id: string }) => r.id)).toEqual([g]);
    expect(found.body.Resources[0]).not.toHaveProperty("members");
    expect(await memberIdsOf(t, g)).toEqual([u3, u4].sort());

    // Entra re-sends an add of an existing member in a later cycle: no error, no duplicate.
    const readd = await t.request("PATCH", `/Groups/${g}`, { schemas: [PATCH_OP], Operations: [{ op: "Add", path: "members", value: [{ $ref: null, value: u3 }] }] });
    expect(readd.status).toBe(204);
    expect((await expectExactCounters(t.id)).memberships).toBe(2);

    // An unknown member is a 400 invalidValue (a reference failure for Entra), nothing applied.
    const unknown = await t.request("PATCH", `/Groups/${g}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: "Add", path: "members", value: [{ $ref: null, value: u1 }, { $ref: null, value: "f648f8d5ea4e4cd38e9c" }] }],
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.scimType).toBe("invalidValue");
    expect(unknown.body.detail).toContain("f648f8d5ea4e4cd38e9c");
    expect(await memberIdsOf(t, g)).toEqual([u3, u4].sort());

    // "Patch remove all users" (Microsoft's reference Postman collection).
    const removeAll = await t.request("PATCH", `/Groups/${g}`, { schemas: [PATCH_OP], Operations: [{ op: "Remove", path: "members" }] });
    expect(removeAll.status).toBe(204);
    expect(await memberIdsOf(t, g)).toEqual([]);
    expect((await expectExactCounters(t.id)).memberships).toBe(0);

    expect((await t.request("DELETE", `/Groups/${g}`)).status).toBe(204);
    expect(await expectExactCounters(t.id)).toMatchObject({ groups: 0, memberships: 0 });
  });

  it("a nested group sent as a member is rejected as unknown, nothing applied", async () => {
    const t = await newScimTenant();
    const u = (await t.request("POST", "/Users", { userName: "x@contoso.com" })).body.id;
    const inner = (await t.request("POST", "/Groups", { schemas: [GROUP], displayName: "Inner" })).body.id;
    const outer = (await t.request("POST", "/Groups", { schemas: [GROUP], displayName: "Outer" })).body.id;
    const r = await t.request("PATCH", `/Groups/${outer}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: "Add", path: "members", value: [{ value: u }, { value: inner }] }],
    });
    expect(r.status).toBe(400);
    expect(r.body.detail).toContain(inner);
    expect(await memberIdsOf(t, outer)).toEqual([]);
  });
});
