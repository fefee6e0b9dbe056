/**
 * The tenant policy `licenceWhenAbsent` (README, "Admin API"):
 * what a group created without the licence extension attribute is — "pro"
 * (the seed rule, the default) or "free", for customers whose identity
 * provider never sends the extension (Okta group push). This file covers
 * the admin side and the policy read the SCIM write paths use; the column is
 * `tenants.licence_when_absent`, which the SCIM SQL reads by name.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { loadTenantPolicy, tenantPolicyFrom, tenantPolicyStatement } from "../../src/storage/tenants.js";
import { admin, createTenant, type TenantBody } from "../support/admin-client.js";

interface ErrorBody {
  error: string;
  detail: string;
  fields?: Array<{ field: string; message: string }>;
}

async function stored(tenantId: string): Promise<string | undefined> {
  const row = await env.DB.prepare(`SELECT licence_when_absent FROM tenants WHERE id = ?1`).bind(tenantId).first<{ licence_when_absent: string }>();
  return row?.licence_when_absent;
}

async function expectRefused(res: Response): Promise<void> {
  expect(res.status).toBe(400);
  const body = await res.json<ErrorBody>();
  expect(body.error).toBe("invalid_request");
  expect(body.fields?.map((f) => f.field)).toEqual(["licenceWhenAbsent"]);
  expect(body.fields?.[0]?.message).toBe('must be "pro" or "free"');
}

const INVALID: unknown[] = ["Free", "PRO", "", "none", true, false, 1, null, ["free"], { value: "free" }];

describe("licenceWhenAbsent on POST /admin/tenants", () => {
  it('defaults to "pro" (the seed rule: an absent licence attribute means Pro), returned and stored', async () => {
    const tenant = await createTenant({ id: "lwa-default", name: "Default" });
    expect(tenant.licenceWhenAbsent).toBe("pro");
    expect(await stored("lwa-default")).toBe("pro");
    const read = await (await admin("GET", "/admin/tenants/lwa-default")).json<TenantBody>();
    expect(read.licenceWhenAbsent).toBe("pro");
  });

  it('accepts "free" and "pro", returns them on create, GET and the tenant list', async () => {
    const free = await createTenant({ id: "lwa-free", name: "Free", licenceWhenAbsent: "free" });
    const pro = await createTenant({ id: "lwa-pro", name: "Pro", licenceWhenAbsent: "pro" });
    expect(free.licenceWhenAbsent).toBe("free");
    expect(pro.licenceWhenAbsent).toBe("pro");
    expect(await stored("lwa-free")).toBe("free");
    expect(await stored("lwa-pro")).toBe("pro");
    expect((await (await admin("GET", "/admin/tenants/lwa-free")).json<TenantBody>()).licenceWhenAbsent).toBe("free");
    const { tenants } = await (await admin("GET", "/admin/tenants?after=lwa-&limit=1000")).json<{ tenants: TenantBody[] }>();
    expect(tenants.find((t) => t.id === "lwa-free")?.licenceWhenAbsent).toBe("free");
    expect(tenants.find((t) => t.id === "lwa-pro")?.licenceWhenAbsent).toBe("pro");
  });

  it.each(INVALID.map((v) => [v]))("refuses %j with 400 naming licenceWhenAbsent, and creates nothing", async (value) => {
    const id = `lwa-bad-${INVALID.indexOf(value)}`;
    await expectRefused(await admin("POST", "/admin/tenants", { id, name: "Bad", licenceWhenAbsent: value }));
    expect((await admin("GET", `/admin/tenants/${id}`)).status).toBe(404);
  });
});

describe("licenceWhenAbsent on PATCH /admin/tenants/{id}", () => {
  it("changes it alone (a valid PATCH on its own) and leaves every other field as it was", async () => {
    const before = await createTenant({ id: "lwa-patch", name: "Patch", allowedDomains: ["contoso.com"], proGraceHours: 5, locations: ["Paris"] });
    const res = await admin("PATCH", "/admin/tenants/lwa-patch", { licenceWhenAbsent: "free" });
    expect(res.status).toBe(200);
    const after = await res.json<TenantBody>();
    expect(after).toEqual({ ...before, licenceWhenAbsent: "free" });
    expect(await stored("lwa-patch")).toBe("free");
    expect((await (await admin("GET", "/admin/tenants/lwa-patch")).json<TenantBody>()).licenceWhenAbsent).toBe("free");

    // And back; other changes in the same PATCH keep it.
    const back = await (await admin("PATCH", "/admin/tenants/lwa-patch", { licenceWhenAbsent: "pro", name: "Renamed" })).json<TenantBody>();
    expect(back).toMatchObject({ name: "Renamed", licenceWhenAbsent: "pro", proGraceHours: 5 });
    const renamed = await (await admin("PATCH", "/admin/tenants/lwa-patch", { proGraceHours: 0 })).json<TenantBody>();
    expect(renamed.licenceWhenAbsent).toBe("pro");
    expect(await stored("lwa-patch")).toBe("pro");
  });

  it.each(INVALID.map((v) => [v]))("refuses %j with 400 naming licenceWhenAbsent, and changes nothing", async (value) => {
    const id = `lwa-pbad-${INVALID.indexOf(value)}`;
    await createTenant({ id, name: "Keep", licenceWhenAbsent: "free" });
    await expectRefused(await admin("PATCH", `/admin/tenants/${id}`, { licenceWhenAbsent: value }));
    expect(await stored(id)).toBe("free");
  });
});

describe("the tenant policy read by the SCIM write paths", () => {
  it("loadTenantPolicy, tenantPolicyStatement and tenantPolicyFrom return licenceWhenAbsent with the other policies", async () => {
    await createTenant({ id: "lwa-policy", name: "Policy", allowedDomains: ["Contoso.com"], proGraceHours: 3, locations: ["Berlin"], licenceWhenAbsent: "free" });
    const expected = { allowedDomains: ["contoso.com"], locations: ["Berlin"], proGraceHours: 3, licenceWhenAbsent: "free" };
    expect(await loadTenantPolicy(env.DB, "lwa-policy")).toEqual(expected);
    const row = await tenantPolicyStatement(env.DB, "lwa-policy").first<Record<string, unknown>>();
    expect(tenantPolicyFrom(row)).toEqual(expected);

    await admin("PATCH", "/admin/tenants/lwa-policy", { licenceWhenAbsent: "pro" });
    expect((await loadTenantPolicy(env.DB, "lwa-policy"))?.licenceWhenAbsent).toBe("pro");
    expect(await loadTenantPolicy(env.DB, "lwa-nobody")).toBeUndefined();
  });

  it('a tenant row written without the column (as every tenant before the migration) reads as "pro"', async () => {
    await env.DB.prepare(`INSERT INTO tenants (id, name, created_at, updated_at) VALUES ('lwa-legacy', 'Legacy', 0, 0)`).run();
    await env.DB.prepare(`INSERT INTO tenant_stats (tenant_id) VALUES ('lwa-legacy')`).run();
    expect(await stored("lwa-legacy")).toBe("pro");
    expect((await loadTenantPolicy(env.DB, "lwa-legacy"))?.licenceWhenAbsent).toBe("pro");
    expect((await (await admin("GET", "/admin/tenants/lwa-legacy")).json<TenantBody>()).licenceWhenAbsent).toBe("pro");
  });
});
