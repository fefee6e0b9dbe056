/**
 * Okta's user lifecycle (Okta's SCIM 2.0 guide) through the real worker: the
 * existence check, create with a password and groups: [], the GET-then-PUT
 * profile push, PATCH and PUT deactivation, and the import paging.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { newScimTenant } from "../support/scim-tenant.js";

const USER = "urn:ietf:params:scim:schemas:core:2.0:User";
const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

const OKTA_CREATE = {
  schemas: [USER],
  userName: "test.user@okta.local",
  name: { givenName: "Test", familyName: "User" },
  emails: [{ primary: true, value: "test.user@okta.local", type: "work" }],
  displayName: "Test User",
  locale: "en-US",
  externalId: "00ujl29u0le5T6Aj10h7",
  groups: [],
  password: "1mz050nq",
  active: true,
};

describe("Okta: user lifecycle", () => {
  it("existence check, create (password dropped everywhere, groups ignored), upper-case re-check", async () => {
    const t = await newScimTenant();
    const check = await t.request("GET", "/Users?filter=userName%20eq%20%22test.user%40okta.local%22&startIndex=1&count=100");
    expect(check.status).toBe(200);
    expect(check.body).toMatchObject({ totalResults: 0, Resources: [], startIndex: 1, itemsPerPage: 0 });

    const res = await t.request("POST", "/Users", OKTA_CREATE, { "content-type": "application/json" });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.password).toBeUndefined();
    expect(res.body.groups).toBeUndefined();
    expect(res.body).toMatchObject({ userName: OKTA_CREATE.userName, displayName: "Test User", locale: "en-US", externalId: OKTA_CREATE.externalId, active: true });
    const row = await env.DB.prepare("SELECT doc FROM users WHERE tenant_id = ?1 AND id = ?2").bind(t.id, res.body.id).first<{ doc: string }>();
    expect(row?.doc).toBeDefined();
    expect(row!.doc).not.toContain("1mz050nq");
    expect(JSON.parse(row!.doc).password).toBeUndefined();
    const { results } = await env.DB.prepare("SELECT * FROM users WHERE tenant_id = ?1").bind(t.id).all();
    expect(JSON.stringify(results)).not.toContain("1mz050nq");
    expect((await t.request("GET", `/Users/${res.body.id}`)).body.password).toBeUndefined();

    const upper = await t.request("GET", `/Users?filter=${encodeURIComponent('userName eq "TEST.USER@OKTA.LOCAL"')}&startIndex=1&count=100`);
    expect(upper.body.totalResults).toBe(1);
    const dup = await t.request("POST", "/Users", OKTA_CREATE);
    expect(dup.status).toBe(409);
    expect(dup.body.scimType).toBe("uniqueness");
    expect(dup.body.schemas).toEqual(["urn:ietf:params:scim:api:messages:2.0:Error"]);
  });

  it("profile push: GET then PUT of the whole object with id, meta and unchanged fields → 200", async () => {
    const t = await newScimTenant();
    const created = (await t.request("POST", "/Users", OKTA_CREATE)).body;
    const read = (await t.request("GET", `/Users/${created.id}`)).body;
    const put = await t.request("PUT", `/Users/${created.id}`, { ...read, displayName: "Test U. User", password: "newSecret1", name: { ...read.name, familyName: "Userson" } });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    expect(put.body).toMatchObject({ id: created.id, displayName: "Test U. User", name: { givenName: "Test", familyName: "Userson" }, emails: read.emails });
    expect(put.body.password).toBeUndefined();
    expect(put.body.meta.created).toBe(read.meta.created);
    // Unchanged PUT: same version.
    const again = await t.request("PUT", `/Users/${created.id}`, put.body);
    expect(again.status).toBe(200);
    expect(again.body.meta.version).toBe(put.body.meta.version);
    const row = await env.DB.prepare("SELECT doc FROM users WHERE tenant_id = ?1 AND id = ?2").bind(t.id, created.id).first<{ doc: string }>();
    expect(row!.doc).not.toContain("newSecret1");
  });

  it("deactivate and reactivate with a path-less PATCH (OIN) and with PUT (AIW)", async () => {
    const t = await newScimTenant();
    const created = (await t.request("POST", "/Users", OKTA_CREATE)).body;
    const off = await t.request("PATCH", `/Users/${created.id}`, { schemas: [PATCH_OP], Operations: [{ op: "replace", value: { active: false } }] });
    expect(off.status).toBe(200);
    expect(off.body.active).toBe(false);
    const on = await t.request("PATCH", `/Users/${created.id}`, { schemas: [PATCH_OP], Operations: [{ op: "replace", value: { active: true } }] });
    expect(on.body.active).toBe(true);
    const read = (await t.request("GET", `/Users/${created.id}`)).body;
    const putOff = await t.request("PUT", `/Users/${created.id}`, { ...read, active: false });
    expect(putOff.body.active).toBe(false);
    expect((await t.request("GET", `/Users/${created.id}`)).body.active).toBe(false);
  });

  it("import: startIndex/count pages with integer counters cover every user once", async () => {
    const t = await newScimTenant();
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) {
      const res = await t.request("POST", "/Users", { schemas: [USER], userName: `imp${i}@okta.local` });
      ids.push(res.body.id);
    }
    const seen: string[] = [];
    for (let start = 1; ; start += 5) {
      const page = await t.request("GET", `/Users?startIndex=${start}&count=5`);
      expect(Number.isInteger(page.body.totalResults) && Number.isInteger(page.body.startIndex) && Number.isInteger(page.body.itemsPerPage)).toBe(true);
      seen.push(...page.body.Resources.map((r: { id: string }) => r.id));
      if (start + 5 > page.body.totalResults) break;
    }
    expect(seen).toEqual(ids);
  });
});
