/**
 * A tenant token's life: issued once, accepted on its own tenant's URL only,
 * refused once revoked or expired, stored only as a hash (docs/storage.md,
 * "KV keys"), never a KV write per request.
 */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../app.js";
import { admin, createTenant, issueToken, ORIGIN, scim } from "../../../test/support/admin-client.js";

const ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error";

interface ScimErrorBody {
  schemas: string[];
  status: string;
  detail?: string;
}

/** Asserts the one 401 every authentication failure gets, and returns its body text for comparison. */
async function expectScim401(res: Response): Promise<string> {
  expect(res.status).toBe(401);
  expect(res.headers.get("content-type")).toMatch(/^application\/scim\+json/);
  expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
  const text = await res.text();
  const body = JSON.parse(text) as ScimErrorBody;
  expect(body.schemas).toContain(ERROR_SCHEMA);
  expect(body.status).toBe("401");
  return text;
}

async function kvRecordKey(tenantId: string): Promise<string> {
  const { keys } = await env.TOKENS.list({ prefix: `token:${tenantId}:` });
  expect(keys).toHaveLength(1);
  return keys[0]?.name ?? "";
}

beforeAll(async () => {
  await createTenant({ id: "alpha", name: "Alpha" });
  await createTenant({ id: "beta", name: "Beta" });
});

describe("a token is accepted", () => {
  it("on its own tenant's URL, right after issue", async () => {
    const { token } = await issueToken("alpha");
    const res = await scim("alpha", "/ServiceProviderConfig", { token });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/scim\+json/);
  });

  it("with the doubled prefix an admin pasted: Bearer Bearer <token>", async () => {
    const { token } = await issueToken("alpha");
    const res = await scim("alpha", "/ServiceProviderConfig", { authorization: `Bearer Bearer ${token}` });
    expect(res.status).not.toBe(401);
  });

  it("with a lower-case scheme and surrounding spaces", async () => {
    const { token } = await issueToken("alpha");
    expect((await scim("alpha", "/Users", { authorization: `  bearer ${token} ` })).status).not.toBe(401);
  });

  it("until its expiry when issued with expiresInDays", async () => {
    const { token, expiresAt } = await issueToken("alpha", { expiresInDays: 1 });
    expect(Date.parse(expiresAt ?? "")).toBeGreaterThan(Date.now());
    expect((await scim("alpha", "/Users", { token })).status).not.toBe(401);
  });
});

describe("a token is refused with the same SCIM 401", () => {
  it("on another tenant's URL", async () => {
    const { token } = await issueToken("alpha");
    await expectScim401(await scim("beta", "/Users", { token }));
  });

  it("once revoked", async () => {
    const { id, token } = await issueToken("alpha");
    expect((await scim("alpha", "/Users", { token })).status).not.toBe(401);
    expect((await admin("DELETE", `/admin/tenants/alpha/tokens/${id}`)).status).toBe(204);
    await expectScim401(await scim("alpha", "/Users", { token }));
  });

  it("once expired", async () => {
    await createTenant({ id: "expiring", name: "Expiring" });
    const { token } = await issueToken("expiring", { expiresInDays: 1 });
    expect((await scim("expiring", "/Users", { token })).status).not.toBe(401);
    // Fake timers do not reach the KV simulator (a known issue of Cloudflare's Vitest integration): move the recorded expiry into the past.
    const key = await kvRecordKey("expiring");
    const record = await env.TOKENS.get<{ tokenId: string; expiresAt: number }>(key, "json");
    expect(record?.expiresAt).toBeGreaterThan(Date.now());
    await env.TOKENS.put(key, JSON.stringify({ ...record, expiresAt: Date.now() - 1000 }));
    await expectScim401(await scim("expiring", "/Users", { token }));
  });

  it("whatever the cause, with identical bodies, and without revealing whether the tenant exists", async () => {
    const { token } = await issueToken("alpha");
    const revoked = await issueToken("alpha");
    await admin("DELETE", `/admin/tenants/alpha/tokens/${revoked.id}`);
    const bodies = [
      await expectScim401(await scim("alpha", "/Users", {})),
      await expectScim401(await scim("alpha", "/Users", { authorization: "Basic eDp5" })),
      await expectScim401(await scim("alpha", "/Users", { authorization: "Bearer" })),
      await expectScim401(await scim("alpha", "/Users", { authorization: "Bearer " })),
      await expectScim401(await scim("alpha", "/Users", { token: "scim_not-a-real-token" })),
      await expectScim401(await scim("alpha", "/Users", { token: revoked.token })),
      await expectScim401(await scim("beta", "/Users", { token })),
      await expectScim401(await scim("ghost", "/Users", { token })),
      await expectScim401(await scim("ghost", "/Users", {})),
      await expectScim401(await scim("ghost", "/ServiceProviderConfig", { token: "whatever" })),
    ];
    expect(new Set(bodies).size).toBe(1);
  });

  it("before the request body is even looked at", async () => {
    const res = await scim("alpha", "/Users", { token: "nope" }, { method: "POST", headers: { "content-type": "application/scim+json" }, body: "{broken" });
    await expectScim401(res);
  });
});

describe("token storage", () => {
  it("keeps no plain token in KV, only its hash", async () => {
    await createTenant({ id: "hashed", name: "Hashed" });
    const { token } = await issueToken("hashed");
    const { keys } = await env.TOKENS.list();
    expect(keys.length).toBeGreaterThan(0);
    for (const { name } of keys) {
      expect(name).not.toContain(token);
      expect((await env.TOKENS.get(name)) ?? "").not.toContain(token);
    }
    const row = await env.DB.prepare("SELECT * FROM tokens WHERE tenant_id = 'hashed'").first();
    expect(JSON.stringify(row)).not.toContain(token);
  });

  it("writes lastUsedAt on first use and not again on later uses", async () => {
    await createTenant({ id: "touched", name: "Touched" });
    const { id, token } = await issueToken("touched");
    const lastUsed = async (): Promise<string | undefined> => {
      const { tokens } = await (await admin("GET", "/admin/tenants/touched/tokens")).json<{ tokens: Array<{ id: string; lastUsedAt?: string }> }>();
      return tokens.find((t) => t.id === id)?.lastUsedAt;
    };
    expect(await lastUsed()).toBeUndefined();

    // Through the app with our own execution context, so the waitUntil'd write is awaited.
    const app = createApp();
    const use = async (): Promise<void> => {
      const ctx = createExecutionContext();
      const res = await app.request(`${ORIGIN}/tenants/touched/scim/v2/Users`, { headers: { authorization: `Bearer ${token}` } }, env, ctx);
      await waitOnExecutionContext(ctx);
      expect(res.status).not.toBe(401);
    };
    const kvBefore = await env.TOKENS.get(await kvRecordKey("touched"));
    await use();
    const first = await lastUsed();
    expect(first).toMatch(/^\d{4}-\d\d-\d\dT/);
    await use();
    await use();
    expect(await lastUsed()).toBe(first);
    // Never a KV write per request: lastUsedAt goes to D1, at most once per token per hour.
    expect(await env.TOKENS.get(await kvRecordKey("touched"))).toBe(kvBefore);
  });
});
