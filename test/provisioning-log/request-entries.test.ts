/**
 * Every SCIM request of a tenant leaves one provisioning log entry: time,
 * method, path (no query string), status, the SCIM error's scimType and
 * detail, the resource it named or created, duration, User-Agent and request
 * id — successes and errors alike, and the 401 of a wrong token. Requests
 * that name no tenant of ours, and admin requests, leave none.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { admin } from "../support/admin-client.js";
import { createGroup, createUser, PATCH_OP, patchUser } from "../support/licences.js";
import { adminGet, entryOf, loggedTenant, logRows, settled } from "../support/provisioning-log.js";

const ENTRA_UA = "Azure Active Directory SCIM Client Test/1.0";

describe("an entry per SCIM request", () => {
  it("records a created user with its id, the request's time, duration, User-Agent and request id", async () => {
    const t = await loggedTenant();
    const before = Date.now();
    const r = await t.request("POST", "/Users", { userName: "ann@contoso.com", active: true }, { "user-agent": ENTRA_UA });
    expect(r.status).toBe(201);
    const e = await entryOf(t.id, r);
    expect(e).toMatchObject({
      tenant_id: t.id,
      method: "POST",
      path: "/Users",
      status: 201,
      scim_type: null,
      detail: null,
      resource_id: r.body.id,
      user_agent: ENTRA_UA,
      request_id: r.headers.get("x-request-id"),
    });
    expect(e.at).toBeGreaterThanOrEqual(before);
    expect(e.at).toBeLessThanOrEqual(Date.now());
    expect(e.hour).toBe(Math.floor(e.at / 3_600_000));
    expect(e.duration_ms).toBeGreaterThanOrEqual(0);
  });

  it("records a refused request with its scimType, detail and the resource its path named", async () => {
    const t = await loggedTenant();
    const id = await createUser(t, "bob@contoso.com");
    const bad = await patchUser(t, id, [{ op: "replace", path: "noSuchAttribute", value: "x" }]);
    expect(bad.status).toBe(400);
    expect(bad.body.scimType).toBe("invalidPath");
    const e = await entryOf(t.id, bad);
    expect(e).toMatchObject({ method: "PATCH", path: `/Users/${id}`, status: 400, scim_type: "invalidPath", resource_id: id });
    expect(e.detail).toContain("Unknown attribute");

    // A 404 has a detail and no scimType (RFC 7644 §3.12); the id it named is still the resource.
    const missing = "0190aaaa-0000-7000-8000-000000000000";
    const notFound = await t.request("GET", `/Users/${missing}`);
    expect(notFound.status).toBe(404);
    expect(await entryOf(t.id, notFound)).toMatchObject({ status: 404, scim_type: null, detail: `User ${missing} not found.`, resource_id: missing });

    // Refused before the body is even parsed against the schema: the resource is known from the path.
    const put = await t.request("PUT", `/Users/${id}`, { schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"] });
    expect(put.status).toBe(400);
    expect(await entryOf(t.id, put)).toMatchObject({ method: "PUT", status: 400, resource_id: id, scim_type: put.body.scimType ?? null });
  });

  it("records a uniqueness conflict as 409 uniqueness", async () => {
    const t = await loggedTenant();
    await createUser(t, "carl@contoso.com");
    const dup = await t.request("POST", "/Users", { userName: "carl@contoso.com", active: true });
    expect(dup.status).toBe(409);
    expect(await entryOf(t.id, dup)).toMatchObject({ status: 409, scim_type: "uniqueness", resource_id: "" });
  });

  it("records groups, their member PATCH (204) and lists, whose path keeps no query string", async () => {
    const t = await loggedTenant();
    const u = await createUser(t, "dora@contoso.com");
    const g = await createGroup(t, "Pro", "True");
    const patch = await t.request("PATCH", `/Groups/${g}`, { schemas: [PATCH_OP], Operations: [{ op: "add", path: "members", value: [{ value: u }] }] });
    expect(patch.status).toBe(204);
    expect(await entryOf(t.id, patch)).toMatchObject({ method: "PATCH", path: `/Groups/${g}`, status: 204, resource_id: g });
    const list = await t.request("GET", `/Users?filter=${encodeURIComponent('userName eq "dora@contoso.com"')}&aadOptscim062020`);
    expect(list.status).toBe(200);
    expect(await entryOf(t.id, list)).toMatchObject({ method: "GET", path: "/Users", status: 200, resource_id: "" });
    const search = await t.request("POST", "/Groups/.search", { schemas: ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"] });
    expect(search.status).toBe(200);
    expect(await entryOf(t.id, search)).toMatchObject({ path: "/Groups/.search", resource_id: "" });
    const created = (await logRows(t.id)).find((r) => r.method === "POST" && r.path === "/Groups");
    expect(created?.resource_id).toBe(g);
  });

  it("records the 401 of a wrong token for the tenant, without the credential", async () => {
    const t = await loggedTenant();
    const res = await t.raw("GET", "/Users/0190aaaa-0000-7000-8000-000000000001", { headers: { authorization: "Bearer scim_not-the-right-token" } });
    expect(res.status).toBe(401);
    const e = await entryOf(t.id, res);
    expect(e).toMatchObject({ status: 401, scim_type: null, resource_id: "0190aaaa-0000-7000-8000-000000000001" });
    expect(e.detail).toMatch(/^Authentication failed/);
    expect(JSON.stringify(e)).not.toContain("not-the-right-token");
  });

  it("writes nothing for a tenant id that is not a tenant, nor for admin requests", async () => {
    const ghost = `ghost-${crypto.randomUUID().slice(0, 8)}`;
    const res = await settled(`/tenants/${ghost}/scim/v2/Users`, { headers: { authorization: "Bearer scim_whatever" } });
    expect(res.status).toBe(401);
    expect(await logRows(ghost)).toEqual([]);

    const t = await loggedTenant();
    const before = (await logRows(t.id)).length;
    expect((await admin("GET", `/admin/tenants/${t.id}`)).status).toBe(200);
    await adminGet(`/admin/tenants/${t.id}/requests`);
    expect((await logRows(t.id)).length).toBe(before);
  });

  it("shows the entries through the admin API with every field", async () => {
    const t = await loggedTenant();
    const r = await t.request("POST", "/Users", { userName: "eve@contoso.com", active: true }, { "user-agent": ENTRA_UA });
    const bad = await t.request("GET", "/Users?filter=userName%20zz%20%22x%22");
    expect(bad.status).toBe(400);
    const page = await adminGet<{ requests: Array<Record<string, unknown>>; nextCursor: string | null }>(`/admin/tenants/${t.id}/requests`);
    expect(page.requests).toHaveLength(2);
    expect(page.nextCursor).toBeNull();
    const [newest, oldest] = page.requests;
    expect(Object.keys(newest ?? {}).sort()).toEqual(["at", "detail", "durationMs", "method", "path", "requestId", "resourceId", "scimType", "status", "userAgent"]);
    expect(newest).toMatchObject({ method: "GET", path: "/Users", status: 400, scimType: "invalidFilter", resourceId: null, requestId: bad.headers.get("x-request-id") });
    expect(oldest).toMatchObject({ method: "POST", status: 201, scimType: null, detail: null, resourceId: r.body.id, userAgent: ENTRA_UA });
    expect(oldest?.at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    // The rows really are the tenant's only ones.
    const { results } = await env.DB.prepare(`SELECT count(*) AS n FROM request_log WHERE tenant_id = ?1`).bind(t.id).all<{ n: number }>();
    expect(results[0]?.n).toBe(2);
  });
});
