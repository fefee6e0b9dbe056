/**
 * Setup links through the admin API and their storage: single-tenant,
 * expiring, revocable, only a hash stored; and the Test Connection probe
 * the setup page shows. The browser side is test/browser/console.test.ts.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { dbFor } from "../../src/storage/database.js";
import { openSetupLink } from "../../src/storage/setup-links.js";
import { getTenant } from "../../src/storage/tenants.js";
import { lastTestConnectionProbe } from "../../src/storage/test-connection-probes.js";
import { admin, call } from "../support/admin-client.js";

async function tenant(id: string): Promise<void> {
  expect((await admin("POST", "/admin/tenants", { id, name: id })).status).toBe(201);
}

describe("POST /admin/tenants/{id}/setup-links", () => {
  it("answers 201 { id, url, expiresAt } (7 days by default), stores only a hash, and the page opens", async () => {
    await tenant("links-a");
    const res = await admin("POST", "/admin/tenants/links-a/setup-links", {});
    expect(res.status).toBe(201);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const body = (await res.json()) as { id: string; url: string; expiresAt: string };
    expect(Object.keys(body).sort()).toEqual(["expiresAt", "id", "url"]);
    expect(Math.round((Date.parse(body.expiresAt) - Date.now()) / 86_400_000)).toBe(7);
    const secret = body.url.split(".").pop() ?? "";
    const { results } = await env.DB.prepare("SELECT * FROM setup_links WHERE tenant_id = 'links-a'").all();
    expect(JSON.stringify(results)).not.toContain(secret);
    const page = await call(new URL(body.url).pathname);
    expect(page.status).toBe(200);
    expect(page.headers.get("cache-control")).toBe("no-store");
    expect(page.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
  });

  it("refuses a bad expiresInDays naming it, and an unknown tenant", async () => {
    await tenant("links-b");
    const bad = await admin("POST", "/admin/tenants/links-b/setup-links", { expiresInDays: 0 });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { fields: Array<{ field: string }> }).fields.map((f) => f.field)).toEqual(["expiresInDays"]);
    expect((await admin("POST", "/admin/tenants/links-b/setup-links", { expires: 3 })).status).toBe(400);
    expect((await admin("POST", "/admin/tenants/no-such-tenant/setup-links", {})).status).toBe(404);
  });

  it("stops at expiry and revocation, and never opens for another tenant", async () => {
    await tenant("links-c");
    await tenant("links-d");
    const body = (await (await admin("POST", "/admin/tenants/links-c/setup-links", { expiresInDays: 1 })).json()) as { id: string; url: string };
    const presented = body.url.split("/").pop() ?? "";
    const rd = dbFor(env.DB);
    const c = (await getTenant(rd.db, "links-c"))!;
    const d = (await getTenant(rd.db, "links-d"))!;
    expect(await openSetupLink(rd.db, c, presented)).toBeDefined();
    expect(await openSetupLink(rd.db, c, presented, Date.now() + 86_400_000 + 1)).toBeUndefined();
    expect(await openSetupLink(rd.db, d, presented)).toBeUndefined();
    expect((await call(`/setup/links-d/${presented}`)).status).toBe(404);
    // A wrong secret with the right id is refused like an unknown link.
    expect(await openSetupLink(rd.db, c, `${body.id}.${"A".repeat(43)}`)).toBeUndefined();
    expect((await admin("DELETE", `/admin/tenants/links-d/setup-links/${body.id}`)).status).toBe(404);
    expect((await admin("DELETE", `/admin/tenants/links-c/setup-links/${body.id}`)).status).toBe(204);
    expect((await admin("DELETE", `/admin/tenants/links-c/setup-links/${body.id}`)).status).toBe(404);
    expect((await call(new URL(body.url).pathname)).status).toBe(404);
  });
});

describe("the Test Connection probe", () => {
  it("is recorded for Entra's userName filter on a random GUID, not for a matching query of a real user", async () => {
    await tenant("probe-a");
    const token = ((await (await admin("POST", "/admin/tenants/probe-a/tokens", {})).json()) as { token: string }).token;
    const get = (filter: string) =>
      call(`/tenants/probe-a/scim/v2/Users?filter=${encodeURIComponent(filter)}`, { headers: { authorization: `Bearer ${token}`, "user-agent": "Azure AD probe" } });
    const rd = dbFor(env.DB);
    const since = (await getTenant(rd.db, "probe-a"))!.createdAt;
    expect((await get('userName eq "ada@contoso.com"')).status).toBe(200);
    expect(await lastTestConnectionProbe(rd.db, "probe-a", since)).toBeUndefined();
    const res = await get(`userName eq "${crypto.randomUUID()}"`);
    expect(res.status).toBe(200);
    const requestId = res.headers.get("x-request-id");
    await expect.poll(() => lastTestConnectionProbe(rd.db, "probe-a", since)).toMatchObject({ requestId, userAgent: "Azure AD probe" });
  });
});
