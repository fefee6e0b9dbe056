/**
 * The admin API for OAuth clients: behind the admin token, field-named 400s,
 * 404s for unknown tenants, clients and secrets, and the bounds (25 clients
 * per tenant, 2 secrets per client) answered 409 rather than growing.
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { admin, call, createTenant } from "../support/admin-client.js";
import { createOAuthClient, type OAuthClientBody } from "../support/oauth.js";

interface ErrorBody {
  error: string;
  detail: string;
  fields?: Array<{ field: string; message: string }>;
}

let tenantId: string;
beforeAll(async () => {
  tenantId = `oa-${crypto.randomUUID().slice(0, 8)}`;
  await createTenant({ id: tenantId, name: "OAuth admin" });
});

describe("authentication", () => {
  it("every route needs the admin token", async () => {
    const client = await createOAuthClient(tenantId);
    for (const [method, path] of [
      ["POST", `/admin/tenants/${tenantId}/oauth-clients`],
      ["GET", `/admin/tenants/${tenantId}/oauth-clients`],
      ["GET", `/admin/tenants/${tenantId}/oauth-clients/${client.clientId}`],
      ["DELETE", `/admin/tenants/${tenantId}/oauth-clients/${client.clientId}`],
      ["POST", `/admin/tenants/${tenantId}/oauth-clients/${client.clientId}/secrets`],
      ["DELETE", `/admin/tenants/${tenantId}/oauth-clients/${client.clientId}/secrets/${client.secretId}`],
    ] as const) {
      const res = await call(path, { method, headers: { authorization: `Bearer ${client.clientSecret}` } });
      expect(res.status, `${method} ${path}`).toBe(401);
    }
    // Nothing was deleted by the refused calls.
    expect((await admin("GET", `/admin/tenants/${tenantId}/oauth-clients/${client.clientId}`)).status).toBe(200);
  });
});

describe("validation", () => {
  it("accessTokenMinutes must be an integer from 60 to 360; unknown fields are named", async () => {
    for (const body of [{ accessTokenMinutes: 59 }, { accessTokenMinutes: 361 }, { accessTokenMinutes: "60" }, { accessTokenMinutes: 90.5 }]) {
      const res = await admin("POST", `/admin/tenants/${tenantId}/oauth-clients`, body);
      expect(res.status).toBe(400);
      const err = await res.json<ErrorBody>();
      expect(err.error).toBe("invalid_request");
      expect(err.fields).toEqual([{ field: "accessTokenMinutes", message: "must be an integer from 60 to 360 (minutes)" }]);
    }
    const unknown = await admin("POST", `/admin/tenants/${tenantId}/oauth-clients`, { lable: "typo" });
    expect((await unknown.json<ErrorBody>()).fields).toEqual([{ field: "lable", message: "is not a known field" }]);
    const notJson = await admin("POST", `/admin/tenants/${tenantId}/oauth-clients`, "{not json");
    expect((await notJson.json<ErrorBody>()).fields).toEqual([{ field: "body", message: "is not valid JSON" }]);
    const secretBody = await admin("POST", `/admin/tenants/${tenantId}/oauth-clients/${crypto.randomUUID()}/secrets`, { label: "x" });
    expect(secretBody.status).toBe(400);
  });

  it("an empty body creates a client with the defaults; an empty label is null", async () => {
    const res = await admin("POST", `/admin/tenants/${tenantId}/oauth-clients`);
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ label: null, accessTokenMinutes: 60 });
    const blank = await admin("POST", `/admin/tenants/${tenantId}/oauth-clients`, { label: "  " });
    expect(await blank.json()).toMatchObject({ label: null });
  });
});

describe("not found", () => {
  it("unknown or impossible tenant, unknown client, unknown secret: 404 not_found", async () => {
    const client = await createOAuthClient(tenantId);
    const ghost = crypto.randomUUID();
    for (const [method, path] of [
      ["POST", `/admin/tenants/no-such-tenant/oauth-clients`],
      ["GET", `/admin/tenants/no-such-tenant/oauth-clients`],
      ["GET", `/admin/tenants/Not_A_Tenant/oauth-clients`],
      ["GET", `/admin/tenants/${tenantId}/oauth-clients/${ghost}`],
      ["DELETE", `/admin/tenants/${tenantId}/oauth-clients/${ghost}`],
      ["POST", `/admin/tenants/${tenantId}/oauth-clients/${ghost}/secrets`],
      ["DELETE", `/admin/tenants/${tenantId}/oauth-clients/${ghost}/secrets/${client.secretId}`],
      ["DELETE", `/admin/tenants/${tenantId}/oauth-clients/${client.clientId}/secrets/${ghost}`],
    ] as const) {
      const res = await admin(method, path);
      expect(res.status, `${method} ${path}`).toBe(404);
      expect((await res.json<ErrorBody>()).error).toBe("not_found");
    }
  });

  it("another tenant's client is not found through this tenant", async () => {
    const other = `ob-${crypto.randomUUID().slice(0, 8)}`;
    await createTenant({ id: other, name: "other" });
    const theirs = await createOAuthClient(other);
    expect((await admin("GET", `/admin/tenants/${tenantId}/oauth-clients/${theirs.clientId}`)).status).toBe(404);
    expect((await admin("DELETE", `/admin/tenants/${tenantId}/oauth-clients/${theirs.clientId}`)).status).toBe(404);
    expect((await admin("POST", `/admin/tenants/${tenantId}/oauth-clients/${theirs.clientId}/secrets`)).status).toBe(404);
    expect((await admin("GET", `/admin/tenants/${other}/oauth-clients/${theirs.clientId}`)).status).toBe(200);
  });
});

describe("bounds", () => {
  it("25 clients per tenant: the 26th is 409 conflict and nothing is stored for it", async () => {
    const full = `oc-${crypto.randomUUID().slice(0, 8)}`;
    await createTenant({ id: full, name: "full" });
    const created = await Promise.all(Array.from({ length: 25 }, () => admin("POST", `/admin/tenants/${full}/oauth-clients`)));
    expect(created.map((r) => r.status)).toEqual(Array(25).fill(201));
    const refused = await admin("POST", `/admin/tenants/${full}/oauth-clients`);
    expect(refused.status).toBe(409);
    expect((await refused.json<ErrorBody>()).error).toBe("conflict");
    const counts = await env.DB.prepare(
      `SELECT (SELECT count(*) FROM oauth_clients WHERE tenant_id = ?1) AS clients, (SELECT count(*) FROM oauth_client_secrets WHERE tenant_id = ?1) AS secrets`,
    )
      .bind(full)
      .first<{ clients: number; secrets: number }>();
    expect(counts).toEqual({ clients: 25, secrets: 25 });
    const list = await (await admin("GET", `/admin/tenants/${full}/oauth-clients`)).json<{ oauthClients: OAuthClientBody[] }>();
    expect(list.oauthClients).toHaveLength(25);
    // Oldest first, each with its one secret.
    const ids = list.oauthClients.map((c) => c.clientId);
    expect(ids).toEqual([...ids].sort());
    for (const c of list.oauthClients) expect(c.secrets).toHaveLength(1);
  });

  it("concurrent secret additions never pass 2 secrets per client", async () => {
    const client = await createOAuthClient(tenantId);
    const tries = await Promise.all(Array.from({ length: 5 }, () => admin("POST", `/admin/tenants/${tenantId}/oauth-clients/${client.clientId}/secrets`)));
    expect(tries.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409]);
    const one = await (await admin("GET", `/admin/tenants/${tenantId}/oauth-clients/${client.clientId}`)).json<OAuthClientBody>();
    expect(one.secrets).toHaveLength(2);
  });
});
