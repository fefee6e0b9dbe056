/**
 * Groups through the real worker (workerd, local D1/KV): CRUD, displayName
 * uniqueness, filters, projections and the User `groups` attribute.
 */
import { describe, expect, it } from "vitest";
import { newScimTenant, type ScimTenant } from "../support/scim-tenant.js";
import { expectExactCounters } from "../support/tenant-counters.js";

const GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";
const ADSCIM = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group";
const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const q = (filter: string) => encodeURIComponent(filter);

async function user(t: ScimTenant, name: string, extra: Record<string, unknown> = {}): Promise<string> {
  const r = await t.request("POST", "/Users", { userName: name, active: true, displayName: name.split("@")[0], ...extra });
  expect(r.status).toBe(201);
  return r.body.id as string;
}

describe("Groups CRUD", () => {
  it("POST with Entra's ADSCIM schema → 201, Location, members [], then GET/PUT/PATCH/DELETE", async () => {
    const t = await newScimTenant();
    const created = await t.request("POST", "/Groups", {
      schemas: [GROUP, ADSCIM],
      externalId: "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
      displayName: "Sales",
      meta: { resourceType: "Group" },
    });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    expect(created.headers.get("location")).toBe(`${t.base}/Groups/${id}`);
    expect(created.body.members).toEqual([]);
    expect(created.body.displayName).toBe("Sales");
    expect(created.body.externalId).toBe("8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159");
    expect(created.body.schemas).toContain(GROUP);
    expect(created.body.meta.resourceType).toBe("Group");
    expect((await expectExactCounters(t.id)).groups).toBe(1);

    const got = await t.request("GET", `/Groups/${id}`);
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ id, displayName: "Sales", members: [] });

    const a = await user(t, "a@contoso.com");
    const b = await user(t, "b@contoso.com");
    const put = await t.request("PUT", `/Groups/${id}`, {
      schemas: [GROUP],
      displayName: "Sales EMEA",
      externalId: "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
      members: [{ value: a }, { value: b }],
    });
    expect(put.status).toBe(200);
    expect(put.body.displayName).toBe("Sales EMEA");
    expect((put.body.members as Array<{ value: string }>).map((m) => m.value).sort()).toEqual([a, b].sort());
    expect(put.body.members.find((m: { value: string }) => m.value === a)).toMatchObject({ value: a, $ref: `${t.base}/Users/${a}`, display: "a" });
    expect((await expectExactCounters(t.id)).memberships).toBe(2);

    // PUT with a smaller list: exactly that set remains.
    const put2 = await t.request("PUT", `/Groups/${id}`, { schemas: [GROUP], displayName: "Sales EMEA", members: [{ value: b }] });
    expect(put2.status).toBe(200);
    expect(put2.body.members.map((m: { value: string }) => m.value)).toEqual([b]);
    expect((await expectExactCounters(t.id)).memberships).toBe(1);

    const patch = await t.request("PATCH", `/Groups/${id}`, { schemas: [PATCH_OP], Operations: [{ op: "Replace", path: "displayName", value: "Sales World" }] });
    expect(patch.status).toBe(204);
    expect((await t.request("GET", `/Groups/${id}`)).body.displayName).toBe("Sales World");

    expect((await t.request("DELETE", `/Groups/${id}`)).status).toBe(204);
    expect((await t.request("GET", `/Groups/${id}`)).status).toBe(404);
    expect((await t.request("DELETE", `/Groups/${id}`)).status).toBe(404);
    const stats = await expectExactCounters(t.id);
    expect(stats).toMatchObject({ groups: 0, memberships: 0 });
  });

  it("displayName is unique per tenant case-insensitively, Unicode included → 409 uniqueness", async () => {
    const t = await newScimTenant();
    expect((await t.request("POST", "/Groups", { schemas: [GROUP], displayName: "Straße Ärzte" })).status).toBe(201);
    for (const clash of ["STRASSE ÄRZTE".replace("SS", "ß"), "straße ärzte", "STRAßE ÄRZTE"]) {
      const r = await t.request("POST", "/Groups", { schemas: [GROUP], displayName: clash });
      expect(r.status, clash).toBe(409);
      expect(r.body.scimType).toBe("uniqueness");
    }
    const e = await t.request("POST", "/Groups", { schemas: [GROUP], displayName: "ÉQUIPE" });
    expect(e.status).toBe(201);
    expect((await t.request("POST", "/Groups", { schemas: [GROUP], displayName: "équipe" })).status).toBe(409);
    // Renames clash too (PUT and PATCH), and the group is left unchanged.
    const other = await t.request("POST", "/Groups", { schemas: [GROUP], displayName: "Other" });
    const p = await t.request("PATCH", `/Groups/${other.body.id}`, { schemas: [PATCH_OP], Operations: [{ op: "replace", path: "displayName", value: "équipe" }] });
    expect(p.status).toBe(409);
    expect(p.body.scimType).toBe("uniqueness");
    const u = await t.request("PUT", `/Groups/${other.body.id}`, { schemas: [GROUP], displayName: "ÉQUIPE" });
    expect(u.status).toBe(409);
    expect((await t.request("GET", `/Groups/${other.body.id}`)).body.displayName).toBe("Other");
    // Another tenant may use the same name.
    const t2 = await newScimTenant();
    expect((await t2.request("POST", "/Groups", { schemas: [GROUP], displayName: "équipe" })).status).toBe(201);
    expect((await expectExactCounters(t.id)).groups).toBe(3);
  });

  it("filters: displayName eq, externalId eq, id eq, members[value eq] (the groups of a user)", async () => {
    const t = await newScimTenant();
    const a = await user(t, "a@contoso.com");
    const b = await user(t, "b@contoso.com");
    const g1 = (await t.request("POST", "/Groups", { schemas: [GROUP], displayName: "Sales", externalId: "ext-1", members: [{ value: a }] })).body.id;
    const g2 = (await t.request("POST", "/Groups", { schemas: [GROUP], displayName: "Marketing", externalId: "ext-2", members: [{ value: a }, { value: b }] })).body.id;
    const g3 = (await t.request("POST", "/Groups", { schemas: [GROUP], displayName: "Empty", externalId: "ext-3" })).body.id;

    const byName = await t.request("GET", `/Groups?filter=${q('displayName eq "sales"')}`);
    expect(byName.status).toBe(200);
    expect(byName.body.totalResults).toBe(1);
    expect(byName.body.Resources[0].id).toBe(g1);

    const byExt = await t.request("GET", `/Groups?filter=${q('externalId eq "ext-2"')}`);
    expect(byExt.body.Resources.map((r: { id: string }) => r.id)).toEqual([g2]);
    // externalId is case-sensitive.
    expect((await t.request("GET", `/Groups?filter=${q('externalId eq "EXT-2"')}`)).body.totalResults).toBe(0);

    const byId = await t.request("GET", `/Groups?filter=${q(`id eq "${g3}"`)}`);
    expect(byId.body.Resources.map((r: { id: string }) => r.id)).toEqual([g3]);

    const ofA = await t.request("GET", `/Groups?filter=${q(`members[value eq "${a}"]`)}&excludedAttributes=members`);
    expect(ofA.status).toBe(200);
    expect(ofA.body.Resources.map((r: { id: string }) => r.id).sort()).toEqual([g1, g2].sort());
    const ofB = await t.request("GET", `/Groups?filter=${q(`members[value eq "${b}"]`)}`);
    expect(ofB.body.Resources.map((r: { id: string }) => r.id)).toEqual([g2]);
    expect(ofB.body.totalResults).toBe(1);
    const none = await t.request("GET", `/Groups?filter=${q('members[value eq "nobody"]')}`);
    expect(none.body.totalResults).toBe(0);

    // Another tenant never sees them.
    const t2 = await newScimTenant();
    expect((await t2.request("GET", `/Groups?filter=${q('displayName eq "Sales"')}`)).body.totalResults).toBe(0);
    expect((await t2.request("GET", `/Groups/${g1}`)).status).toBe(404);
  });

  it("excludedAttributes=members: no members, ≤ 3 rows read, on list and GET", async () => {
    const t = await newScimTenant();
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push(await user(t, `u${i}@contoso.com`));
    const g = (await t.request("POST", "/Groups", { schemas: [GROUP], displayName: "Sales", members: ids.map((value) => ({ value })) })).body.id;

    const get = await t.request("GET", `/Groups/${g}?excludedAttributes=members`);
    expect(get.status).toBe(200);
    expect(get.body).not.toHaveProperty("members");
    expect(get.body.displayName).toBe("Sales");
    expect(get.headers.get("x-d1-rows-read")).not.toBeNull();
    expect(get.rowsRead).toBeLessThanOrEqual(3);

    const list = await t.request("GET", `/Groups?excludedAttributes=members&filter=${q('displayName eq "Sales"')}`);
    expect(list.status).toBe(200);
    expect(list.body.Resources).toHaveLength(1);
    expect(list.body.Resources[0]).not.toHaveProperty("members");
    expect(list.rowsRead).toBeLessThanOrEqual(3);

    const all = await t.request("GET", `/Groups?excludedAttributes=members`);
    expect(all.body.Resources[0]).not.toHaveProperty("members");
    expect(all.rowsRead).toBeLessThanOrEqual(3);

    // Without the projection, the members are there.
    const full = await t.request("GET", `/Groups/${g}`);
    expect(full.body.members).toHaveLength(5);
    const fullList = await t.request("GET", `/Groups`);
    expect(fullList.body.Resources[0].members).toHaveLength(5);
  });

  it("a user's GET lists its direct groups as {value, $ref, display, type: direct}", async () => {
    const t = await newScimTenant();
    const a = await user(t, "a@contoso.com");
    const g1 = (await t.request("POST", "/Groups", { schemas: [GROUP], displayName: "Sales", members: [{ value: a }] })).body.id;
    const g2 = (await t.request("POST", "/Groups", { schemas: [GROUP], displayName: "Ops" })).body.id;
    await t.request("PATCH", `/Groups/${g2}`, { schemas: [PATCH_OP], Operations: [{ op: "add", path: "members", value: [{ value: a }] }] });
    const got = await t.request("GET", `/Users/${a}`);
    expect(got.status).toBe(200);
    const groups = [...(got.body.groups as Array<Record<string, string>>)].sort((x, y) => x.display!.localeCompare(y.display!));
    expect(groups).toEqual([
      { value: g2, $ref: `${t.base}/Groups/${g2}`, display: "Ops", type: "direct" },
      { value: g1, $ref: `${t.base}/Groups/${g1}`, display: "Sales", type: "direct" },
    ]);
    await t.request("PATCH", `/Groups/${g1}`, { schemas: [PATCH_OP], Operations: [{ op: "remove", path: `members[value eq "${a}"]` }] });
    expect((await t.request("GET", `/Users/${a}`)).body.groups.map((g: { value: string }) => g.value)).toEqual([g2]);
  });
});
