/**
 * SCIM requests for a deleted tenant are refused with the same 401 as any
 * authentication failure, even while KV still serves its token, and what
 * the check costs in D1 rows (x-d1-rows-read).
 */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createApp } from "../../app.js";
import { admin, createTenant, issueToken, ORIGIN, scim } from "../../../test/support/admin-client.js";
import { LIVENESS_TTL_MS } from "./index.js";

const AUTH_FAILED = "Authentication failed: a valid bearer token for this tenant is required.";

let counter = 0;
async function tenant(): Promise<{ id: string; token: string }> {
  counter += 1;
  const id = `lt${counter}-${crypto.randomUUID().slice(0, 8)}`;
  await createTenant({ id, name: `Live ${id}` });
  return { id, token: (await issueToken(id)).token };
}

async function kvRecords(tenantId: string): Promise<Array<[string, string]>> {
  const { keys } = await env.TOKENS.list({ prefix: `token:${tenantId}:` });
  return Promise.all(keys.map(async (k) => [k.name, (await env.TOKENS.get(k.name)) ?? ""] as [string, string]));
}

async function expect401(res: Response): Promise<void> {
  expect(res.status).toBe(401);
  expect(res.headers.get("content-type")).toMatch(/^application\/scim\+json/);
  expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
  expect(await res.json()).toEqual({ schemas: ["urn:ietf:params:scim:api:messages:2.0:Error"], status: "401", detail: AUTH_FAILED });
}

const rows = (res: Response) => Number(res.headers.get("x-d1-rows-read"));

afterEach(() => {
  vi.useRealTimers();
});

describe("a deleted tenant", () => {
  it("is refused once the admin deleted it, although KV still serves its token", async () => {
    const t = await tenant();
    expect((await scim(t.id, "/Users", { token: t.token })).status).toBe(200);
    const records = await kvRecords(t.id);
    expect(records).toHaveLength(1);
    expect((await admin("DELETE", `/admin/tenants/${t.id}`)).status).toBe(204);
    // A location whose KV still serves the key (a cached copy lives up to a minute).
    for (const [key, value] of records) await env.TOKENS.put(key, value);
    await expect401(await scim(t.id, "/Users", { token: t.token }));
    await expect401(await scim(t.id, "/ServiceProviderConfig", { token: t.token }));
  });

  it("is refused while its purge has not removed its tokens (marked deleted only), at the cost of 1 row", async () => {
    const t = await tenant();
    // What an interrupted DELETE leaves: deleted_at set, the tokens still in KV.
    await env.DB.prepare("UPDATE tenants SET deleted_at = ?2 WHERE id = ?1").bind(t.id, Date.now()).run();
    const res = await scim(t.id, "/Users", { token: t.token });
    expect(rows(res)).toBe(1);
    await expect401(res);
    // Writes too: nothing is created for a tenant being purged.
    const post = await scim(t.id, "/Users", { token: t.token }, { method: "POST", headers: { "content-type": "application/scim+json" }, body: JSON.stringify({ userName: "late@contoso.com" }) });
    await expect401(post);
    const { results } = await env.DB.prepare("SELECT id FROM users WHERE tenant_id = ?1").bind(t.id).all();
    expect(results).toHaveLength(0);
  });
});

describe("what the check costs a live tenant", () => {
  it("1 row on the tenant's first request in an isolate, none on the following ones", async () => {
    const t = await tenant();
    // /ServiceProviderConfig reads nothing from D1 itself: what is read is the check.
    const first = await scim(t.id, "/ServiceProviderConfig", { token: t.token });
    expect(first.status).toBe(200);
    expect(rows(first)).toBe(1);
    for (let i = 0; i < 3; i++) {
      const next = await scim(t.id, "/ServiceProviderConfig", { token: t.token });
      expect(next.status).toBe(200);
      expect(rows(next)).toBe(0);
    }
  });

  it(`a delete made elsewhere is seen within ${LIVENESS_TTL_MS} ms and one request, re-read off the request path`, async () => {
    const app = createApp();
    const t = await tenant();
    const send = async () => {
      const ctx = createExecutionContext();
      const res = await app.fetch(new Request(`${ORIGIN}/tenants/${t.id}/scim/v2/ServiceProviderConfig`, { headers: { authorization: `Bearer ${t.token}` } }), env, ctx);
      await waitOnExecutionContext(ctx);
      return res;
    };
    expect((await send()).status).toBe(200);
    // Deleted by another isolate (or directly in D1): this one still remembers the tenant as live.
    await env.DB.prepare("UPDATE tenants SET deleted_at = ?2 WHERE id = ?1").bind(t.id, Date.now()).run();
    const remembered = await send();
    expect(remembered.status).toBe(200);
    expect(rows(remembered)).toBe(0);
    // Past the TTL: this request is still answered from memory (and costs nothing on its meter),
    // the re-read runs in waitUntil, and the next request is refused.
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + LIVENESS_TTL_MS + 1);
    const stale = await send();
    expect(stale.status).toBe(200);
    expect(rows(stale)).toBe(0);
    await expect401(await send());
  });
});
