/**
 * The admin API (README, "Admin API"): every route's success and
 * refusal, through the worker's own fetch handler.
 */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/app.js";
import { PURGE_CHUNK_ROWS } from "../src/storage/tenants.js";
import { admin, call, createTenant, issueToken, scim, type TenantBody } from "./support/admin-client.js";

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

interface ErrorBody {
  error: string;
  detail: string;
  fields?: Array<{ field: string; message: string }>;
}

async function expectInvalid(res: Response, field: string): Promise<ErrorBody> {
  expect(res.status).toBe(400);
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  const body = await res.json<ErrorBody>();
  expect(body.error).toBe("invalid_request");
  expect(body.detail).toContain(field);
  expect(body.fields?.map((f) => f.field)).toContain(field);
  return body;
}

async function expectNotFound(res: Response): Promise<void> {
  expect(res.status).toBe(404);
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  expect((await res.json<ErrorBody>()).error).toBe("not_found");
}

/** Seeds `users` users (all in one group, with a licence each) straight into D1: the SCIM routes are not needed. */
async function seedDirectory(tenantId: string, users: number): Promise<void> {
  const db = env.DB;
  await db.batch([
    db
      .prepare(
        `INSERT INTO groups (tenant_id, id, display_name, display_name_key, licensing, doc, created_at, last_modified, etag)
         VALUES (?1, 'g1', 'Pro', 'pro', 1, '{}', 0, 0, 'e')`,
      )
      .bind(tenantId),
    db
      .prepare(
        `WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < ?2)
         INSERT INTO users (tenant_id, id, user_name, user_name_key, active, doc, created_at, last_modified, etag)
         SELECT ?1, printf('u%06d', x), printf('user%d@contoso.com', x), printf('user%d@contoso.com', x), 1, '{}', 0, 0, 'e' FROM n`,
      )
      .bind(tenantId, users),
    db.prepare(`INSERT INTO memberships (tenant_id, group_id, user_id) SELECT tenant_id, 'g1', id FROM users WHERE tenant_id = ?1`).bind(tenantId),
    db.prepare(`INSERT INTO licences (tenant_id, user_id, status, since) SELECT tenant_id, id, 'active', 0 FROM users WHERE tenant_id = ?1`).bind(tenantId),
  ]);
}

async function countRows(table: string, tenantId: string): Promise<number> {
  const row = await env.DB.prepare(`SELECT count(*) AS n FROM ${table} WHERE tenant_id = ?`).bind(tenantId).first<{ n: number }>();
  return row?.n ?? -1;
}

describe("admin authentication", () => {
  it("answers 401 with WWW-Authenticate for a wrong or missing admin token", async () => {
    for (const authorization of ["Bearer wrong-token", "", "Basic dGVzdA==", "Bearer"]) {
      const res = await call("/admin/tenants", authorization ? { headers: { authorization } } : {});
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
      expect((await res.json<ErrorBody>()).error).toBe("unauthorized");
    }
  });

  it("answers 503 on every admin route when ADMIN_TOKEN is empty, whatever token is sent", async () => {
    const app = createApp();
    for (const [method, path] of [
      ["GET", "/admin/tenants"],
      ["POST", "/admin/tenants"],
      ["DELETE", "/admin/tenants/acme"],
      ["POST", "/admin/tenants/acme/tokens"],
    ] as const) {
      for (const authorization of ["Bearer ", "Bearer test-admin-token", "Bearer undefined"]) {
        const ctx = createExecutionContext();
        const res = await app.request(path, { method, headers: { authorization } }, { ...env, ADMIN_TOKEN: "" }, ctx);
        await waitOnExecutionContext(ctx);
        expect(res.status).toBe(503);
      }
    }
  });

  it("checks the admin token before reading the body", async () => {
    const res = await call("/admin/tenants", { method: "POST", headers: { authorization: "Bearer nope" }, body: "{not json" });
    expect(res.status).toBe(401);
  });
});

describe("POST /admin/tenants", () => {
  it("creates a tenant with the documented defaults and its Tenant URL", async () => {
    const res = await admin("POST", "/admin/tenants", { id: "acme", name: "Acme Corp" });
    expect(res.status).toBe(201);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    const tenant = await res.json<TenantBody>();
    expect(tenant).toEqual({
      id: "acme",
      name: "Acme Corp",
      scimBaseUrl: "http://local.test/tenants/acme/scim/v2",
      allowedDomains: [],
      proGraceHours: 23,
      locations: [],
      licenceWhenAbsent: "pro",
      // The default configuration has one data shard, the control database itself (docs/sharding.md).
      shard: "DB",
      createdAt: expect.stringMatching(ISO),
    });
  });

  it("stores allowed domains lower-cased and de-duplicated, and keeps the given settings", async () => {
    const tenant = await createTenant({
      id: "contoso",
      name: "Contoso",
      allowedDomains: ["Contoso.COM", "contoso.com", "@Fabrikam.com"],
      proGraceHours: 0,
      locations: ["Berlin", "Paris", "Berlin"],
    });
    expect(tenant.allowedDomains).toEqual(["contoso.com", "fabrikam.com"]);
    expect(tenant.proGraceHours).toBe(0);
    expect(tenant.locations).toEqual(["Berlin", "Paris"]);
    const stored = await env.DB.prepare("SELECT allowed_domains FROM tenants WHERE id = 'contoso'").first<{ allowed_domains: string }>();
    expect(JSON.parse(stored?.allowed_domains ?? "null")).toEqual(["contoso.com", "fabrikam.com"]);
  });

  it("generates a valid tenant id when none is given", async () => {
    const a = await createTenant({ name: "No id" });
    const b = await createTenant({ name: "No id" });
    expect(a.id).toMatch(/^[a-z0-9][a-z0-9-]{0,62}$/);
    expect(a.id).not.toBe(b.id);
    expect(a.scimBaseUrl).toBe(`http://local.test/tenants/${a.id}/scim/v2`);
  });

  it("answers 409 when the id is taken", async () => {
    await createTenant({ id: "taken", name: "First" });
    const res = await admin("POST", "/admin/tenants", { id: "taken", name: "Second" });
    expect(res.status).toBe(409);
    const body = await res.json<ErrorBody>();
    expect(body.error).toBe("conflict");
    expect(body.fields?.[0]?.field).toBe("id");
    const stored = await admin("GET", "/admin/tenants/taken");
    expect((await stored.json<TenantBody>()).name).toBe("First");
  });

  it("answers 409 for the id of a tenant whose purge has not finished", async () => {
    await env.DB.prepare("INSERT INTO tenants (id, name, created_at, updated_at, deleted_at) VALUES ('purging', 'Old', 0, 0, 1)").run();
    const res = await admin("POST", "/admin/tenants", { id: "purging", name: "New" });
    expect(res.status).toBe(409);
  });

  it.each([
    [{ id: "acme2", name: "A", proGraceHours: 24 }, "proGraceHours"],
    [{ id: "acme2", name: "A", proGraceHours: -1 }, "proGraceHours"],
    [{ id: "acme2", name: "A", proGraceHours: 1.5 }, "proGraceHours"],
    [{ id: "acme2", name: "A", proGraceHours: "5" }, "proGraceHours"],
    [{ id: "acme2" }, "name"],
    [{ id: "acme2", name: "   " }, "name"],
    [{ id: "Acme", name: "A" }, "id"],
    [{ id: "-acme", name: "A" }, "id"],
    [{ id: "a".repeat(64), name: "A" }, "id"],
    [{ id: "acme2", name: "A", allowedDomains: "contoso.com" }, "allowedDomains"],
    [{ id: "acme2", name: "A", allowedDomains: ["ok.com", "not a domain"] }, "allowedDomains[1]"],
    [{ id: "acme2", name: "A", locations: [42] }, "locations[0]"],
    [{ id: "acme2", name: "A", proGracehours: 3 }, "proGracehours"],
  ])("refuses %j naming the field %s", async (body, field) => {
    await expectInvalid(await admin("POST", "/admin/tenants", body), field);
  });

  it("refuses malformed JSON and non-object bodies naming the body", async () => {
    await expectInvalid(await admin("POST", "/admin/tenants", "{\"name\": "), "body");
    await expectInvalid(await admin("POST", "/admin/tenants", "[]"), "body");
    await expectInvalid(await admin("POST", "/admin/tenants", "null"), "body");
  });

  it("names every invalid field at once", async () => {
    const body = await expectInvalid(await admin("POST", "/admin/tenants", { proGraceHours: 99, locations: "x" }), "name");
    expect(body.fields?.map((f) => f.field).sort()).toEqual(["locations", "name", "proGraceHours"]);
  });
});

describe("GET /admin/tenants", () => {
  it("lists live tenants and not deleted ones", async () => {
    await createTenant({ id: "list-a", name: "A" });
    await createTenant({ id: "list-b", name: "B" });
    expect((await admin("DELETE", "/admin/tenants/list-b")).status).toBe(204);
    const res = await admin("GET", "/admin/tenants");
    expect(res.status).toBe(200);
    const { tenants } = await res.json<{ tenants: TenantBody[] }>();
    const ids = tenants.map((t) => t.id);
    expect(ids).toContain("list-a");
    expect(ids).not.toContain("list-b");
    expect(tenants.find((t) => t.id === "list-a")?.scimBaseUrl).toBe("http://local.test/tenants/list-a/scim/v2");
  });

  it("pages with limit and after", async () => {
    for (const id of ["page-1", "page-2", "page-3"]) await createTenant({ id, name: id });
    const first = await (await admin("GET", "/admin/tenants?after=page-0&limit=2")).json<{ tenants: TenantBody[]; next?: string }>();
    expect(first.tenants.map((t) => t.id)).toEqual(["page-1", "page-2"]);
    expect(first.next).toBe("page-2");
    const second = await (await admin("GET", `/admin/tenants?after=${first.next}&limit=2`)).json<{ tenants: TenantBody[] }>();
    expect(second.tenants[0]?.id).toBe("page-3");
    await expectInvalid(await admin("GET", "/admin/tenants?limit=0"), "limit");
  });
});

describe("GET /admin/tenants/:id", () => {
  it("returns the tenant with zeroed stats when it is new", async () => {
    await createTenant({ id: "stats-new", name: "S" });
    const res = await admin("GET", "/admin/tenants/stats-new");
    expect(res.status).toBe(200);
    const tenant = await res.json<TenantBody>();
    expect(tenant.stats).toEqual({ users: 0, activeUsers: 0, groups: 0, memberships: 0, proLicenses: 0, downgradedLicenses: 0 });
  });

  it("reports the tenant_stats counters", async () => {
    await createTenant({ id: "stats-set", name: "S" });
    await env.DB.prepare(
      `UPDATE tenant_stats SET users = 7, active_users = 5, groups = 2, memberships = 9, pro_licenses = 4, downgraded_licenses = 1
       WHERE tenant_id = 'stats-set'`,
    ).run();
    const tenant = await (await admin("GET", "/admin/tenants/stats-set")).json<TenantBody>();
    expect(tenant.stats).toEqual({ users: 7, activeUsers: 5, groups: 2, memberships: 9, proLicenses: 4, downgradedLicenses: 1 });
  });

  it("answers 404 JSON for an unknown tenant or an impossible id", async () => {
    await expectNotFound(await admin("GET", "/admin/tenants/nobody"));
    await expectNotFound(await admin("GET", "/admin/tenants/NOT_AN_ID"));
  });
});

describe("PATCH /admin/tenants/:id", () => {
  it("updates the writable fields and leaves the others", async () => {
    await createTenant({ id: "patch-me", name: "Before", allowedDomains: ["a.com"], locations: ["Berlin"] });
    const res = await admin("PATCH", "/admin/tenants/patch-me", { name: "After", allowedDomains: ["B.com", "b.com"], proGraceHours: 5 });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    const tenant = await res.json<TenantBody>();
    expect(tenant).toMatchObject({ id: "patch-me", name: "After", allowedDomains: ["b.com"], proGraceHours: 5, locations: ["Berlin"] });
    const again = await (await admin("GET", "/admin/tenants/patch-me")).json<TenantBody>();
    expect(again).toMatchObject({ name: "After", allowedDomains: ["b.com"], proGraceHours: 5 });
    const cleared = await (await admin("PATCH", "/admin/tenants/patch-me", { locations: [] })).json<TenantBody>();
    expect(cleared.locations).toEqual([]);
  });

  it("refuses invalid changes naming the field", async () => {
    await createTenant({ id: "patch-bad", name: "P" });
    await expectInvalid(await admin("PATCH", "/admin/tenants/patch-bad", { proGraceHours: 30 }), "proGraceHours");
    await expectInvalid(await admin("PATCH", "/admin/tenants/patch-bad", { id: "other" }), "id");
    await expectInvalid(await admin("PATCH", "/admin/tenants/patch-bad", {}), "body");
    await expectInvalid(await admin("PATCH", "/admin/tenants/patch-bad", "{oops"), "body");
    expect((await (await admin("GET", "/admin/tenants/patch-bad")).json<TenantBody>()).proGraceHours).toBe(23);
  });

  it("answers 404 for an unknown tenant", async () => {
    await expectNotFound(await admin("PATCH", "/admin/tenants/nobody", { name: "X" }));
  });
});

describe("DELETE /admin/tenants/:id", () => {
  it("removes the tenant's users, groups, memberships, licences, counters and tokens, in chunks", async () => {
    await createTenant({ id: "doomed", name: "Doomed" });
    await createTenant({ id: "bystander", name: "Bystander" });
    const users = PURGE_CHUNK_ROWS * 2 + 17;
    await seedDirectory("doomed", users);
    await seedDirectory("bystander", 3);
    const { token } = await issueToken("doomed");
    const bystanderToken = (await issueToken("bystander")).token;
    expect((await scim("doomed", "/Users", { token })).status).toBe(200);
    expect(await countRows("memberships", "doomed")).toBe(users);

    const res = await admin("DELETE", "/admin/tenants/doomed");
    expect(res.status).toBe(204);
    expect(await res.text()).toBe("");

    for (const table of ["memberships", "licences", "users", "groups", "tokens"]) expect(await countRows(table, "doomed")).toBe(0);
    const tenantRows = await env.DB.prepare(
      "SELECT (SELECT count(*) FROM tenants WHERE id = 'doomed') + (SELECT count(*) FROM tenant_stats WHERE tenant_id = 'doomed') AS n",
    ).first<{ n: number }>();
    expect(tenantRows?.n).toBe(0);
    expect((await env.TOKENS.list({ prefix: "token:doomed:" })).keys).toEqual([]);
    expect((await scim("doomed", "/Users", { token })).status).toBe(401);
    await expectNotFound(await admin("GET", "/admin/tenants/doomed"));

    // Another tenant's data and tokens are untouched.
    expect(await countRows("users", "bystander")).toBe(3);
    expect(await countRows("memberships", "bystander")).toBe(3);
    expect((await scim("bystander", "/Users", { token: bystanderToken })).status).toBe(200);
  });

  it("frees the id once the purge is done", async () => {
    await createTenant({ id: "reborn", name: "Old" });
    expect((await admin("DELETE", "/admin/tenants/reborn")).status).toBe(204);
    const again = await createTenant({ id: "reborn", name: "New" });
    expect(again.name).toBe("New");
    expect(again.stats).toBeUndefined();
    const fetched = await (await admin("GET", "/admin/tenants/reborn")).json<TenantBody>();
    expect(fetched.stats?.users).toBe(0);
  });

  it("finishes an interrupted purge when asked again", async () => {
    await createTenant({ id: "half-gone", name: "H" });
    await seedDirectory("half-gone", 2);
    await env.DB.prepare("UPDATE tenants SET deleted_at = 1 WHERE id = 'half-gone'").run();
    expect((await admin("DELETE", "/admin/tenants/half-gone")).status).toBe(204);
    expect(await countRows("users", "half-gone")).toBe(0);
    expect((await env.DB.prepare("SELECT count(*) AS n FROM tenants WHERE id = 'half-gone'").first<{ n: number }>())?.n).toBe(0);
  });

  it("answers 404 for an unknown tenant", async () => {
    await expectNotFound(await admin("DELETE", "/admin/tenants/nobody"));
  });
});

describe("tenant tokens", () => {
  beforeAll(async () => {
    await createTenant({ id: "tok-bad", name: "Refused tokens" });
  });

  it("issues a token once, with its label and expiry", async () => {
    await createTenant({ id: "tok", name: "T" });
    const before = Date.now();
    const res = await admin("POST", "/admin/tenants/tok/tokens", { label: "Entra", expiresInDays: 30 });
    expect(res.status).toBe(201);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    const issued = await res.json<{ id: string; token: string; label: string; createdAt: string; expiresAt: string }>();
    expect(Object.keys(issued).sort()).toEqual(["createdAt", "expiresAt", "id", "label", "token"]);
    expect(issued.label).toBe("Entra");
    expect(issued.token.length).toBeGreaterThanOrEqual(43);
    expect(issued.createdAt).toMatch(ISO);
    const days = (Date.parse(issued.expiresAt) - Date.parse(issued.createdAt)) / 86_400_000;
    expect(days).toBe(30);
    expect(Date.parse(issued.createdAt)).toBeGreaterThanOrEqual(before - 1000);
  });

  it("issues a non-expiring, unlabelled token from an empty body", async () => {
    await createTenant({ id: "tok-empty", name: "T" });
    const res = await call("/admin/tenants/tok-empty/tokens", { method: "POST", headers: { authorization: "Bearer test-admin-token" } });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ label: null, expiresAt: null });
  });

  it.each([
    [{ expiresInDays: 0 }, "expiresInDays"],
    [{ expiresInDays: -3 }, "expiresInDays"],
    [{ expiresInDays: 1.5 }, "expiresInDays"],
    [{ expiresInDays: 3651 }, "expiresInDays"],
    [{ expiresInDays: "7" }, "expiresInDays"],
    [{ label: 12 }, "label"],
    [{ secret: "mine" }, "secret"],
  ])("refuses %j naming the field %s, issuing nothing", async (body, field) => {
    await expectInvalid(await admin("POST", "/admin/tenants/tok-bad/tokens", body), field);
    expect((await (await admin("GET", "/admin/tenants/tok-bad/tokens")).json<{ tokens: unknown[] }>()).tokens).toEqual([]);
  });

  it("lists tokens without their secret or hash", async () => {
    await createTenant({ id: "tok-list", name: "T" });
    const a = await issueToken("tok-list", { label: "first" });
    const b = await issueToken("tok-list", { expiresInDays: 1 });
    const res = await admin("GET", "/admin/tenants/tok-list/tokens");
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).not.toContain(a.token);
    expect(text).not.toContain(b.token);
    const { tokens } = JSON.parse(text) as { tokens: Array<Record<string, unknown>> };
    expect(tokens.map((t) => t["id"]).sort()).toEqual([a.id, b.id].sort());
    for (const t of tokens) {
      expect(Object.keys(t).every((k) => ["id", "label", "createdAt", "expiresAt", "lastUsedAt"].includes(k))).toBe(true);
    }
    expect(tokens.find((t) => t["id"] === a.id)).toEqual({ id: a.id, label: "first", createdAt: a.createdAt, expiresAt: null });
  });

  it("revokes a token: 204, then gone from the list, then 404", async () => {
    await createTenant({ id: "tok-revoke", name: "T" });
    const { id, token } = await issueToken("tok-revoke");
    expect((await admin("DELETE", `/admin/tenants/tok-revoke/tokens/${id}`)).status).toBe(204);
    expect((await scim("tok-revoke", "/Users", { token })).status).toBe(401);
    expect((await (await admin("GET", "/admin/tenants/tok-revoke/tokens")).json<{ tokens: unknown[] }>()).tokens).toEqual([]);
    await expectNotFound(await admin("DELETE", `/admin/tenants/tok-revoke/tokens/${id}`));
  });

  it("does not revoke another tenant's token through this tenant's URL", async () => {
    await createTenant({ id: "tok-own", name: "T" });
    await createTenant({ id: "tok-other", name: "T" });
    const other = await issueToken("tok-other");
    await expectNotFound(await admin("DELETE", `/admin/tenants/tok-own/tokens/${other.id}`));
    expect((await scim("tok-other", "/Users", { token: other.token })).status).toBe(200);
  });

  it("answers 404 on the token routes of an unknown tenant", async () => {
    await expectNotFound(await admin("POST", "/admin/tenants/nobody/tokens", {}));
    await expectNotFound(await admin("GET", "/admin/tenants/nobody/tokens"));
    await expectNotFound(await admin("DELETE", "/admin/tenants/nobody/tokens/abc"));
  });
});

describe("GET /admin/tenants/:id/licenses", () => {
  it("lists each licence with its user, status and dates, filtered by status, paged by limit and after; an expired one is gone", async () => {
    await createTenant({ id: "lic", name: "L" });
    const HOUR = 3_600_000;
    const now = Date.now();
    const user = (id: string, userName: string) =>
      env.DB.prepare(
        `INSERT INTO users (tenant_id, id, user_name, user_name_key, active, doc, created_at, last_modified, etag) VALUES ('lic', ?1, ?2, ?2, 1, '{}', 0, 0, 'e')`,
      ).bind(id, userName);
    const licence = (userId: string, status: string, since: number, downgradedAt: number | null, expiresAt: number | null) =>
      env.DB.prepare(`INSERT INTO licences (tenant_id, user_id, status, since, downgraded_at, expires_at) VALUES ('lic', ?1, ?2, ?3, ?4, ?5)`).bind(
        userId,
        status,
        since,
        downgradedAt,
        expiresAt,
      );
    await env.DB.batch([
      user("u1", "one@contoso.com"),
      user("u2", "two@contoso.com"),
      user("u3", "three@contoso.com"),
      user("u4", "four@contoso.com"),
      licence("u1", "active", now - 10 * HOUR, null, null),
      licence("u2", "downgraded", now - 10 * HOUR, now - HOUR, now + 22 * HOUR),
      // Expired but not yet swept: never listed as held.
      licence("u3", "downgraded", now - 30 * HOUR, now - 24 * HOUR, now - HOUR),
    ]);
    const iso = (ms: number) => new Date(ms).toISOString();
    const one = { userId: "u1", userName: "one@contoso.com", status: "active", since: iso(now - 10 * HOUR), downgradedAt: null, expiresAt: null };
    const two = { userId: "u2", userName: "two@contoso.com", status: "downgraded", since: iso(now - 10 * HOUR), downgradedAt: iso(now - HOUR), expiresAt: iso(now + 22 * HOUR) };
    for (const [q, expected] of [
      ["", [one, two]],
      ["?status=active", [one]],
      ["?status=downgraded", [two]],
      ["?limit=1", [one]],
      ["?limit=1&after=u1", [two]],
    ] as const) {
      const res = await admin("GET", `/admin/tenants/lic/licenses${q}`);
      expect(res.status, q).toBe(200);
      expect(res.headers.get("content-type")).toMatch(/^application\/json/);
      const body = await res.json<{ licenses: unknown[]; next?: string }>();
      expect(body.licenses, q).toEqual(expected);
      expect(body.next, q).toBe(q === "?limit=1" ? "u1" : undefined);
    }
  });

  it("answers an empty list for a tenant without licences", async () => {
    await createTenant({ id: "lic-none", name: "L" });
    const res = await admin("GET", "/admin/tenants/lic-none/licenses");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ licenses: [] });
  });

  it("refuses an unknown status naming the field", async () => {
    await createTenant({ id: "lic-bad", name: "L" });
    await expectInvalid(await admin("GET", "/admin/tenants/lic-bad/licenses?status=expired"), "status");
  });

  it("answers 404 for an unknown tenant", async () => {
    await expectNotFound(await admin("GET", "/admin/tenants/nobody/licenses"));
  });
});
