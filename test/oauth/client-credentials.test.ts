/**
 * OAuth 2.0 client credentials per tenant (RFC 6749 §4.4), end to end
 * through the worker: an admin creates a client, the identity provider gets
 * an access token with client_secret_basic or client_secret_post and uses it
 * on the tenant's SCIM routes exactly like a static token — until it
 * expires (a controlled clock, no waiting), the secret that got it is
 * rotated away, or the client is deleted; never on another tenant.
 */
import { env } from "cloudflare:workers";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { admin, call, createTenant, issueToken, scim } from "../support/admin-client.js";
import { addSecret, createOAuthClient, expectOAuthError, getToken, tokenRequest, type OAuthClientBody, type TokenBody } from "../support/oauth.js";

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

let seq = 0;
async function newTenant(): Promise<string> {
  seq += 1;
  const id = `oc${seq}-${crypto.randomUUID().slice(0, 8)}`;
  await createTenant({ id, name: `OAuth ${id}` });
  return id;
}

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

async function scimStatus(tenantId: string, token: string, path = "/Users"): Promise<number> {
  const res = await scim(tenantId, path, { token });
  await res.body?.cancel();
  return res.status;
}

async function rows(table: string, tenantId: string): Promise<number> {
  const row = await env.DB.prepare(`SELECT count(*) AS n FROM ${table} WHERE tenant_id = ?`).bind(tenantId).first<{ n: number }>();
  return row?.n ?? -1;
}

describe("an admin creates a client; the IdP gets a token and provisions with it", () => {
  let tenantId: string;
  beforeAll(async () => {
    tenantId = await newTenant();
  });

  it("creates a client: the secret is shown once, with the token URL; the default lifetime is 60 minutes", async () => {
    const res = await admin("POST", `/admin/tenants/${tenantId}/oauth-clients`, { label: "  Entra gallery  " });
    expect(res.status).toBe(201);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const body = await res.json<Record<string, unknown>>();
    expect(body).toMatchObject({
      label: "Entra gallery",
      accessTokenMinutes: 60,
      tokenUrl: `http://local.test/tenants/${tenantId}/oauth/token`,
    });
    expect(body.clientId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(body.clientSecret).toMatch(/^scimcs_[A-Za-z0-9_-]{43}$/);
    expect(body.secrets).toEqual([{ secretId: body.secretId, createdAt: body.createdAt }]);
  });

  it("client_secret_basic: 200 with a Bearer token, expires_in and no-store; the token works on GET and POST /Users", async () => {
    const client = await createOAuthClient(tenantId);
    const res = await tokenRequest(tenantId, { basic: { clientId: client.clientId, clientSecret: client.clientSecret } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.headers.get("pragma")).toBe("no-cache");
    const token = await res.json<TokenBody>();
    expect(token).toEqual({ access_token: expect.stringMatching(/^scimat_[A-Za-z0-9_-]{43}$/), token_type: "Bearer", expires_in: 3600, scope: "scim" });

    expect(await scimStatus(tenantId, token.access_token)).toBe(200);
    const created = await scim(tenantId, "/Users", { token: token.access_token }, {
      method: "POST",
      headers: { "content-type": "application/scim+json" },
      body: JSON.stringify({ schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"], userName: "oauth.user@contoso.com", active: true }),
    });
    expect(created.status).toBe(201);
    // Entra pastes tokens with a doubled Bearer prefix too: accepted as for static tokens.
    expect((await scim(tenantId, "/Users", { authorization: `Bearer Bearer ${token.access_token}` })).status).toBe(200);
  });

  it("client_secret_post with scope=scim: the lifetime set on the client (360 minutes) is expires_in", async () => {
    const client = await createOAuthClient(tenantId, { accessTokenMinutes: 360 });
    const res = await tokenRequest(tenantId, { form: { client_id: client.clientId, client_secret: client.clientSecret, scope: "scim" } });
    expect(res.status).toBe(200);
    const token = await res.json<TokenBody>();
    expect(token).toMatchObject({ token_type: "Bearer", expires_in: 21600, scope: "scim" });
    expect(await scimStatus(tenantId, token.access_token, "/ServiceProviderConfig")).toBe(200);
  });

  it("Basic credentials may also name the client in the body (RFC 6749 §3.2.1), and unknown parameters are ignored", async () => {
    const client = await createOAuthClient(tenantId);
    const res = await tokenRequest(tenantId, {
      basic: { clientId: client.clientId, clientSecret: client.clientSecret },
      form: { client_id: client.clientId, resource: "https://example.test/scim" },
    });
    expect(res.status).toBe(200);
  });

  it("access tokens and secrets are stored only as hashes: D1 rows and the KV key hold no plain value", async () => {
    const client = await createOAuthClient(tenantId);
    const token = await getToken(tenantId, client.clientId, client.clientSecret);
    const secretRow = await env.DB.prepare(`SELECT * FROM oauth_client_secrets WHERE tenant_id = ? AND client_id = ?`)
      .bind(tenantId, client.clientId)
      .first<Record<string, unknown>>();
    expect(secretRow?.secret_hash).toBe(await sha256Hex(client.clientSecret));
    const tokenRow = await env.DB.prepare(`SELECT * FROM oauth_access_tokens WHERE tenant_id = ? AND client_id = ?`)
      .bind(tenantId, client.clientId)
      .first<Record<string, unknown>>();
    expect(tokenRow?.token_hash).toBe(await sha256Hex(token.access_token));
    const everything = JSON.stringify([secretRow, tokenRow]);
    expect(everything).not.toContain(client.clientSecret);
    expect(everything).not.toContain(token.access_token);
    const kv = await env.TOKENS.get(`token:${tenantId}:${await sha256Hex(token.access_token)}`, "text");
    expect(kv).not.toBeNull();
    expect(kv).not.toContain(token.access_token);
    expect(JSON.parse(kv!)).toEqual({ tokenId: client.clientId, clientId: client.clientId, expiresAt: tokenRow?.expires_at, shard: "DB" });
  });
});

describe("an access token works on its own tenant only", () => {
  it("on another tenant's SCIM routes, the admin API, or another tenant's token endpoint: refused", async () => {
    const a = await newTenant();
    const b = await newTenant();
    const clientA = await createOAuthClient(a);
    const token = await getToken(a, clientA.clientId, clientA.clientSecret);
    expect(await scimStatus(a, token.access_token)).toBe(200);

    const other = await scim(b, "/Users", { token: token.access_token });
    expect(other.status).toBe(401);
    expect(other.headers.get("www-authenticate")).toBe('Bearer realm="scim"');
    expect((await admin("GET", "/admin/tenants", undefined, { authorization: `Bearer ${token.access_token}` })).status).toBe(401);

    // Tenant A's client does not exist on tenant B's token endpoint.
    await expectOAuthError(await tokenRequest(b, { basic: { clientId: clientA.clientId, clientSecret: clientA.clientSecret } }), 401, "invalid_client");
    // B's static token is unaffected, and A's static token does not open B either.
    const staticB = await issueToken(b);
    expect(await scimStatus(b, staticB.token)).toBe(200);
    expect(await scimStatus(a, staticB.token)).toBe(401);
  });
});

describe("expiry, with a controlled clock", () => {
  it("a token works until expires_in has passed and is refused from that millisecond on", async () => {
    const tenantId = await newTenant();
    const client = await createOAuthClient(tenantId, { accessTokenMinutes: 60 });
    const token = await getToken(tenantId, client.clientId, client.clientSecret);
    const { expires_at: expiresAt } = (await env.DB.prepare(`SELECT expires_at FROM oauth_access_tokens WHERE tenant_id = ? AND client_id = ?`)
      .bind(tenantId, client.clientId)
      .first<{ expires_at: number }>())!;
    expect(expiresAt - Date.now()).toBeGreaterThan(3_590_000);
    expect(expiresAt - Date.now()).toBeLessThanOrEqual(3_600_000);

    // Only Date is faked: the worker runs in this isolate, so its Date.now() is the test's clock.
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(expiresAt - 1);
    expect(await scimStatus(tenantId, token.access_token)).toBe(200);
    vi.setSystemTime(expiresAt);
    const expired = await scim(tenantId, "/Users", { token: token.access_token });
    expect(expired.status).toBe(401);
    expect(expired.headers.get("www-authenticate")).toBe('Bearer realm="scim"');
    vi.setSystemTime(expiresAt + 6 * 3_600_000);
    expect(await scimStatus(tenantId, token.access_token)).toBe(401);

    // Still expired at any later time; a new token (same client, same secret) works.
    vi.useRealTimers();
    const fresh = await getToken(tenantId, client.clientId, client.clientSecret);
    expect(await scimStatus(tenantId, fresh.access_token)).toBe(200);
  });
});

describe("rotation with overlap", () => {
  it("a second secret works beside the first; deleting the old one stops it and the tokens it obtained, not the new one's", async () => {
    const tenantId = await newTenant();
    const client = await createOAuthClient(tenantId);
    const oldToken = await getToken(tenantId, client.clientId, client.clientSecret);

    const added = await admin("POST", `/admin/tenants/${tenantId}/oauth-clients/${client.clientId}/secrets`);
    expect(added.status).toBe(201);
    expect(added.headers.get("cache-control")).toBe("no-store");
    const second = await added.json<{ secretId: string; clientSecret: string; createdAt: string }>();
    expect(second.clientSecret).toMatch(/^scimcs_/);
    expect(second.clientSecret).not.toBe(client.clientSecret);

    // Both secrets work during the overlap.
    const newToken = await getToken(tenantId, client.clientId, second.clientSecret);
    const stillOld = await getToken(tenantId, client.clientId, client.clientSecret);
    for (const t of [oldToken, newToken, stillOld]) expect(await scimStatus(tenantId, t.access_token)).toBe(200);

    // The listing shows both secrets, and which was used when (an admin sees the old one is idle before deleting it).
    const listed = await (await admin("GET", `/admin/tenants/${tenantId}/oauth-clients/${client.clientId}`)).json<OAuthClientBody>();
    expect(listed.secrets.map((s) => s.secretId)).toEqual([client.secretId, second.secretId]);
    for (const s of listed.secrets) expect(s.lastUsedAt).toMatch(/^\d{4}-\d\d-\d\dT/);

    // A third secret is refused: rotate by deleting the old one first.
    const third = await admin("POST", `/admin/tenants/${tenantId}/oauth-clients/${client.clientId}/secrets`, {});
    expect(third.status).toBe(409);
    expect((await third.json<{ error: string }>()).error).toBe("conflict");

    const deleted = await admin("DELETE", `/admin/tenants/${tenantId}/oauth-clients/${client.clientId}/secrets/${client.secretId}`);
    expect(deleted.status).toBe(204);
    await expectOAuthError(await tokenRequest(tenantId, { basic: { clientId: client.clientId, clientSecret: client.clientSecret } }), 401, "invalid_client");
    // Tokens obtained with the deleted secret stop at once; the new secret's keep working.
    expect(await scimStatus(tenantId, oldToken.access_token)).toBe(401);
    expect(await scimStatus(tenantId, stillOld.access_token)).toBe(401);
    expect(await scimStatus(tenantId, newToken.access_token)).toBe(200);
    const afterRotation = await getToken(tenantId, client.clientId, second.clientSecret);
    expect(await scimStatus(tenantId, afterRotation.access_token)).toBe(200);

    // And a new secret can be added again.
    const again = await addSecret(tenantId, client.clientId);
    expect((await getToken(tenantId, client.clientId, again.clientSecret)).token_type).toBe("Bearer");
    expect((await admin("DELETE", `/admin/tenants/${tenantId}/oauth-clients/${client.clientId}/secrets/${client.secretId}`)).status).toBe(404);
  });

  it("a client keeps its 5 newest live tokens: a sixth revokes the oldest", async () => {
    const tenantId = await newTenant();
    const client = await createOAuthClient(tenantId);
    const tokens: TokenBody[] = [];
    for (let i = 0; i < 6; i++) tokens.push(await getToken(tenantId, client.clientId, client.clientSecret));
    expect(await scimStatus(tenantId, tokens[0]!.access_token)).toBe(401);
    for (const t of tokens.slice(1)) expect(await scimStatus(tenantId, t.access_token)).toBe(200);
    expect(await rows("oauth_access_tokens", tenantId)).toBe(5);
  });
});

describe("deletion", () => {
  it("deleting a client stops its secrets and every access token it obtained at once; other clients are untouched", async () => {
    const tenantId = await newTenant();
    const client = await createOAuthClient(tenantId);
    const second = await addSecret(tenantId, client.clientId);
    const t1 = await getToken(tenantId, client.clientId, client.clientSecret);
    const t2 = await getToken(tenantId, client.clientId, second.clientSecret);
    const other = await createOAuthClient(tenantId);
    const otherToken = await getToken(tenantId, other.clientId, other.clientSecret);

    const res = await admin("DELETE", `/admin/tenants/${tenantId}/oauth-clients/${client.clientId}`);
    expect(res.status).toBe(204);
    expect(await scimStatus(tenantId, t1.access_token)).toBe(401);
    expect(await scimStatus(tenantId, t2.access_token)).toBe(401);
    for (const secret of [client.clientSecret, second.clientSecret]) {
      await expectOAuthError(await tokenRequest(tenantId, { basic: { clientId: client.clientId, clientSecret: secret } }), 401, "invalid_client");
    }
    for (const hash of [await sha256Hex(t1.access_token), await sha256Hex(t2.access_token)]) {
      expect(await env.TOKENS.get(`token:${tenantId}:${hash}`)).toBeNull();
    }
    expect((await admin("GET", `/admin/tenants/${tenantId}/oauth-clients/${client.clientId}`)).status).toBe(404);
    expect((await admin("DELETE", `/admin/tenants/${tenantId}/oauth-clients/${client.clientId}`)).status).toBe(404);

    expect(await scimStatus(tenantId, otherToken.access_token)).toBe(200);
    const listed = await (await admin("GET", `/admin/tenants/${tenantId}/oauth-clients`)).json<{ oauthClients: OAuthClientBody[] }>();
    expect(listed.oauthClients.map((c) => c.clientId)).toEqual([other.clientId]);
  });

  it("deleting the tenant removes its clients, secrets and access tokens", async () => {
    const tenantId = await newTenant();
    const client = await createOAuthClient(tenantId);
    const token = await getToken(tenantId, client.clientId, client.clientSecret);
    expect((await admin("DELETE", `/admin/tenants/${tenantId}`)).status).toBe(204);
    expect(await scimStatus(tenantId, token.access_token)).toBe(401);
    for (const table of ["oauth_clients", "oauth_client_secrets", "oauth_access_tokens"]) expect(await rows(table, tenantId)).toBe(0);
    expect(await env.TOKENS.get(`token:${tenantId}:${await sha256Hex(token.access_token)}`)).toBeNull();
    // A tenant re-created with the same id inherits nothing.
    await createTenant({ id: tenantId, name: "again" });
    await expectOAuthError(await tokenRequest(tenantId, { basic: { clientId: client.clientId, clientSecret: client.clientSecret } }), 401, "invalid_client");
  });
});

describe("no secret in any log line or listing", () => {
  it("a whole flow — create, token (both methods), SCIM, rotate, failures, delete — logs no secret or token, and lists none", async () => {
    const lines: string[] = [];
    const capture = (...args: unknown[]) => void lines.push(args.map((a) => (typeof a === "string" ? a : JSON.stringify(a))).join(" "));
    for (const level of ["log", "info", "warn", "error", "debug"] as const) vi.spyOn(console, level).mockImplementation(capture);

    const tenantId = await newTenant();
    const client = await createOAuthClient(tenantId, { label: "Entra" });
    const second = await addSecret(tenantId, client.clientId);
    const basic = await getToken(tenantId, client.clientId, client.clientSecret);
    const postRes = await tokenRequest(tenantId, { form: { client_id: client.clientId, client_secret: second.clientSecret } });
    const post = await postRes.json<TokenBody>();
    await scimStatus(tenantId, basic.access_token);
    await scimStatus(tenantId, post.access_token);
    // Failures: a wrong secret, a secret pasted as the client id, a secret on another tenant.
    await (await tokenRequest(tenantId, { basic: { clientId: client.clientId, clientSecret: `${client.clientSecret}x` } })).text();
    await (await tokenRequest(tenantId, { form: { client_id: client.clientSecret, client_secret: client.clientSecret } })).text();
    await (await tokenRequest("no-such-tenant", { basic: { clientId: client.clientId, clientSecret: client.clientSecret } })).text();
    await scimStatus("no-such-tenant", basic.access_token);

    const list = await (await admin("GET", `/admin/tenants/${tenantId}/oauth-clients`)).text();
    const one = await (await admin("GET", `/admin/tenants/${tenantId}/oauth-clients/${client.clientId}`)).text();
    await admin("DELETE", `/admin/tenants/${tenantId}/oauth-clients/${client.clientId}/secrets/${client.secretId}`);
    await admin("DELETE", `/admin/tenants/${tenantId}/oauth-clients/${client.clientId}`);

    const secrets = [client.clientSecret, second.clientSecret, basic.access_token, post.access_token];
    const hashes = await Promise.all(secrets.map(sha256Hex));
    expect(lines.length).toBeGreaterThan(10);
    for (const line of lines) for (const s of [...secrets, ...hashes]) expect(line).not.toContain(s);
    for (const body of [list, one]) {
      for (const s of [...secrets, ...hashes]) expect(body).not.toContain(s);
      expect(body).not.toMatch(/scimcs_|scimat_|secretHash|secret_hash|clientSecret/);
    }
  });
});

describe("discovery", () => {
  it("ServiceProviderConfig, read with an access token, lists both bearer schemes and points at the metadata", async () => {
    const tenantId = await newTenant();
    const client = await createOAuthClient(tenantId);
    const token = await getToken(tenantId, client.clientId, client.clientSecret);
    const res = await scim(tenantId, "/ServiceProviderConfig", { token: token.access_token });
    expect(res.status).toBe(200);
    const spc = await res.json<{ authenticationSchemes: Array<Record<string, unknown>> }>();
    expect(spc.authenticationSchemes.map((s) => [s.type, s.name, s.primary])).toEqual([
      ["oauthbearertoken", "OAuth 2.0 client credentials", true],
      ["oauthbearertoken", "Long-lived bearer token", false],
    ]);
    const metadataUrl = spc.authenticationSchemes[0]!.documentationUri as string;
    expect(metadataUrl).toBe(`http://local.test/tenants/${tenantId}/.well-known/oauth-authorization-server`);
    const metadata = await (await call(new URL(metadataUrl).pathname)).json<{ token_endpoint: string }>();
    expect(metadata.token_endpoint).toBe(client.tokenUrl);
  });
});
