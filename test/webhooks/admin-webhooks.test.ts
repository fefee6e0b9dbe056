/**
 * The webhook admin API (docs/webhooks.md): registration with Zod
 * validation and the URL rules, the `whsec_` secret shown once and stored
 * only sealed, listings that never carry it, the delivery state, delete.
 */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import { createApp } from "../../src/app.js";
import { MAX_WEBHOOK_ENDPOINTS } from "../../src/storage/webhooks.js";
import { EVENT_TYPES } from "../../src/storage/events.js";
import { admin, ADMIN_TOKEN, call, ORIGIN } from "../support/admin-client.js";
import { createUser } from "../support/licences.js";
import { newScimTenant } from "../support/scim-tenant.js";

interface Created {
  id: string;
  secret: string;
  url: string;
  tenantId: string | null;
  types: string[] | null;
  createdAt: string;
}

interface Listed {
  id: string;
  url: string;
  tenantId: string | null;
  types: string[] | null;
  delivery: {
    state: string;
    backlog: number;
    delivered: number;
    lastSuccessAt: string | null;
    lastFailure: unknown;
    consecutiveFailures: number;
    nextAttemptAt: string | null;
    expiredUndelivered: number;
  };
}

async function register(body: unknown): Promise<Created> {
  const res = await admin("POST", "/admin/webhooks", body);
  expect(res.status, await res.clone().text()).toBe(201);
  return res.json<Created>();
}

async function list(): Promise<{ text: string; webhooks: Listed[] }> {
  const res = await admin("GET", "/admin/webhooks");
  expect(res.status).toBe(200);
  const text = await res.text();
  return { text, webhooks: (JSON.parse(text) as { webhooks: Listed[] }).webhooks };
}

afterEach(async () => {
  for (const w of (await list()).webhooks) expect((await admin("DELETE", `/admin/webhooks/${w.id}`)).status).toBe(204);
});

describe("POST /admin/webhooks", () => {
  it("registers an endpoint and shows its whsec_ secret once, uncacheable", async () => {
    const res = await admin("POST", "/admin/webhooks", { url: "https://Hooks.Example.com/scim" });
    expect(res.status).toBe(201);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const body = await res.json<Created>();
    expect(body).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]{43}=$/), url: "https://hooks.example.com/scim", tenantId: null, types: null, createdAt: expect.any(String) });
    // Stored sealed: the D1 row holds no part of the secret.
    const row = await env.DB.prepare(`SELECT * FROM webhook_endpoints WHERE id = ?1`).bind(body.id).first<Record<string, unknown>>();
    expect(row?.["secret_sealed"]).toMatch(/^v1\./);
    expect(JSON.stringify(row)).not.toContain(body.secret.slice("whsec_".length, 30));
  });

  it("the listing and the endpoint never show a secret, sealed or not; each secret differs", async () => {
    const a = await register({ url: "https://a.example.com/" });
    const b = await register({ url: "https://b.example.com/" });
    expect(a.secret).not.toBe(b.secret);
    const { text, webhooks } = await list();
    expect(webhooks.map((w) => w.id)).toEqual([a.id, b.id]);
    for (const secret of [a.secret, b.secret]) expect(text).not.toContain(secret.slice(6, 30));
    expect(text).not.toMatch(/secret|whsec_|v1\./i);
    const one = await admin("GET", `/admin/webhooks/${a.id}`);
    expect(one.status).toBe(200);
    const oneText = await one.text();
    expect(oneText).not.toMatch(/secret|whsec_/i);
    expect(JSON.parse(oneText)).toMatchObject({ id: a.id, url: "https://a.example.com/" });
  });

  it("a new endpoint starts at the end of its feed: delivery state ok, nothing behind", async () => {
    const t = await newScimTenant();
    await createUser(t, "before@contoso.com");
    const w = await register({ url: "https://x.example.com/", tenantId: t.id, types: ["user.deleted", "user.created", "user.created"] });
    expect(w.types).toEqual(["user.created", "user.deleted"]);
    const listed = (await list()).webhooks.find((x) => x.id === w.id)!;
    expect(listed).toMatchObject({ tenantId: t.id, types: ["user.created", "user.deleted"] });
    expect(listed.delivery).toEqual({
      state: "ok",
      backlog: 0,
      delivered: 0,
      lastSuccessAt: null,
      lastFailure: null,
      consecutiveFailures: 0,
      nextAttemptAt: null,
      expiredUndelivered: 0,
    });
    // Events after registration are its backlog (before the type filter), only its own tenant's.
    await createUser(t, "after@contoso.com");
    await createUser(await newScimTenant(), "elsewhere@contoso.com");
    const global = await register({ url: "https://y.example.com/" });
    await createUser(t, "later@contoso.com");
    const byId = new Map((await list()).webhooks.map((x) => [x.id, x.delivery.backlog]));
    expect(byId.get(w.id)).toBe(2);
    expect(byId.get(global.id)).toBe(1);
  });

  it("accepts http:// for loopback hosts only", async () => {
    for (const url of ["http://localhost:9999/hook", "http://127.0.0.1:8080/", "http://[::1]/x"]) await register({ url });
    const refused = await admin("POST", "/admin/webhooks", { url: "http://hooks.example.com/" });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toEqual({
      error: "invalid_request",
      detail: "Invalid request: url must use https:// (http:// only for localhost, 127.0.0.0/8 or [::1]).",
      fields: [{ field: "url", message: "must use https:// (http:// only for localhost, 127.0.0.0/8 or [::1])" }],
    });
  });

  it("refuses invalid bodies, naming each field", async () => {
    const cases: Array<[unknown, Array<{ field: string }>]> = [
      [{}, [{ field: "url" }]],
      [{ url: 42 }, [{ field: "url" }]],
      [{ url: "ftp://example.com/" }, [{ field: "url" }]],
      [{ url: "https://u:p@example.com/" }, [{ field: "url" }]],
      [{ url: "https://example.com/", tenantId: "Not A Tenant!" }, [{ field: "tenantId" }]],
      [{ url: "https://example.com/", types: [] }, [{ field: "types" }]],
      [{ url: "https://example.com/", types: "user.created" }, [{ field: "types" }]],
      [{ url: "https://example.com/", types: ["user.created", "user.exploded"] }, [{ field: "types[1]" }]],
      [{ url: "https://example.com/", secret: "whsec_mine" }, [{ field: "secret" }]],
      [[], [{ field: "body" }]],
      ["{not json", [{ field: "body" }]],
    ];
    for (const [body, fields] of cases) {
      const res = await admin("POST", "/admin/webhooks", body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      const json = await res.json<{ error: string; fields: Array<{ field: string; message: string }> }>();
      expect(json.error).toBe("invalid_request");
      expect(json.fields.map((f) => ({ field: f.field })), JSON.stringify(body)).toEqual(fields);
    }
    expect((await list()).webhooks).toEqual([]);
  });

  it("every event type of the feed may be subscribed to", async () => {
    const w = await register({ url: "https://all.example.com/", types: [...EVENT_TYPES].reverse() });
    expect(w.types).toEqual([...EVENT_TYPES]);
  });

  it("an unknown (or deleted) tenant is 404", async () => {
    const res = await admin("POST", "/admin/webhooks", { url: "https://example.com/", tenantId: "no-such-tenant" });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: "not_found", fields: [{ field: "tenantId", message: "is not a tenant" }] });
    const t = await newScimTenant();
    expect((await admin("DELETE", `/admin/tenants/${t.id}`)).status).toBe(204);
    expect((await admin("POST", "/admin/webhooks", { url: "https://example.com/", tenantId: t.id })).status).toBe(404);
  });

  it(`at most ${MAX_WEBHOOK_ENDPOINTS} endpoints: then 409`, async () => {
    for (let i = 0; i < MAX_WEBHOOK_ENDPOINTS; i++) await register({ url: `https://h${i}.example.com/` });
    const res = await admin("POST", "/admin/webhooks", { url: "https://one-too-many.example.com/" });
    expect(res.status).toBe(409);
    expect(await res.json()).toMatchObject({ error: "conflict" });
  });

  it("needs the admin token", async () => {
    expect((await call("/admin/webhooks", { method: "POST", body: JSON.stringify({ url: "https://example.com/" }) })).status).toBe(401);
    expect((await call("/admin/webhooks")).status).toBe(401);
    expect((await call("/admin/webhooks/x", { method: "DELETE" })).status).toBe(401);
  });

  it("without WEBHOOK_SECRETS_KEY, registration is 503 and says what to set", async () => {
    const app = createApp();
    const ctx = createExecutionContext();
    const res = await app.fetch(
      new Request(`${ORIGIN}/admin/webhooks`, { method: "POST", headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, body: JSON.stringify({ url: "https://example.com/" }) }),
      { ...env, WEBHOOK_SECRETS_KEY: undefined },
      ctx,
    );
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ error: "not_configured", detail: expect.stringContaining("WEBHOOK_SECRETS_KEY") });
    expect((await list()).webhooks).toEqual([]);
  });
});

describe("DELETE /admin/webhooks/{id}", () => {
  it("deletes the endpoint; then it is 404 everywhere", async () => {
    const w = await register({ url: "https://gone.example.com/" });
    expect((await admin("DELETE", `/admin/webhooks/${w.id}`)).status).toBe(204);
    expect((await admin("GET", `/admin/webhooks/${w.id}`)).status).toBe(404);
    expect((await admin("DELETE", `/admin/webhooks/${w.id}`)).status).toBe(404);
    expect((await admin("DELETE", `/admin/webhooks/${"x".repeat(500)}`)).status).toBe(404);
    expect(await (await admin("GET", "/admin/webhooks/nope")).json()).toEqual({ error: "not_found", detail: 'No webhook endpoint "nope".' });
    expect((await list()).webhooks).toEqual([]);
  });
});
