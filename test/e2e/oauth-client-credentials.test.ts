/**
 * OAuth client credentials under `wrangler dev`, as a vendor would try it
 * locally: a client from the admin API, a token from the tenant's token
 * endpoint (both client authentication methods), SCIM with that token, and
 * the OAUTH_CLIENT_LIMITER Rate Limiting binding of wrangler.toml, which
 * wrangler dev simulates.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWranglerDev, type WranglerDev, adminRequest as adminRequestTo } from "./support/wrangler-dev.js";

let worker: WranglerDev;
const tenantId = "e2e-oauth";

beforeAll(async () => {
  worker = await startWranglerDev();
  const created = await adminRequest("POST", "/admin/tenants", { id: tenantId, name: "E2E OAuth" });
  expect(created.status).toBe(201);
});

afterAll(async () => {
  await worker?.stop();
});

const adminRequest = (method: string, path: string, body?: unknown) => adminRequestTo(worker, method, path, body);

async function newClient(): Promise<{ clientId: string; clientSecret: string; tokenUrl: string }> {
  const res = await adminRequest("POST", `/admin/tenants/${tenantId}/oauth-clients`, { label: "e2e" });
  expect(res.status).toBe(201);
  return (await res.json()) as { clientId: string; clientSecret: string; tokenUrl: string };
}

function basicToken(tokenUrl: string, clientId: string, clientSecret: string): Promise<Response> {
  return fetch(tokenUrl, {
    method: "POST",
    headers: {
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString("base64")}`,
      "content-type": "application/x-www-form-urlencoded",
    },
    body: "grant_type=client_credentials&scope=scim",
  });
}

describe("wrangler dev: OAuth client credentials", () => {
  it("a token from either auth method opens the tenant's SCIM endpoint; the metadata names the token URL", async () => {
    const client = await newClient();
    expect(client.tokenUrl).toBe(`${worker.origin}/tenants/${tenantId}/oauth/token`);
    const meta = (await (await fetch(`${worker.origin}/tenants/${tenantId}/.well-known/oauth-authorization-server`)).json()) as { token_endpoint: string };
    expect(meta.token_endpoint).toBe(client.tokenUrl);

    const basic = await basicToken(client.tokenUrl, client.clientId, client.clientSecret);
    expect(basic.status).toBe(200);
    expect(basic.headers.get("cache-control")).toBe("no-store");
    const post = await fetch(client.tokenUrl, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "client_credentials", client_id: client.clientId, client_secret: client.clientSecret }),
    });
    expect(post.status).toBe(200);
    for (const res of [basic, post]) {
      const { access_token, token_type, expires_in } = (await res.json()) as { access_token: string; token_type: string; expires_in: number };
      expect([token_type, expires_in]).toEqual(["Bearer", 3600]);
      const users = await fetch(`${worker.origin}/tenants/${tenantId}/scim/v2/Users`, { headers: { authorization: `Bearer ${access_token}` } });
      expect(users.status).toBe(200);
    }
  });

  it("the Rate Limiting binding is simulated: the 11th request of a client within a minute is 429", async () => {
    // The simulated limiter counts in wall-clock minutes: a run straddling a boundary is repeated once.
    for (let attempt = 0; ; attempt++) {
      const window = Math.floor(Date.now() / 60_000);
      const client = await newClient();
      const statuses: number[] = [];
      for (let i = 0; i < 11; i++) statuses.push((await basicToken(client.tokenUrl, client.clientId, `wrong-${i}`)).status);
      const right = await basicToken(client.tokenUrl, client.clientId, client.clientSecret);
      if (attempt === 0 && Math.floor(Date.now() / 60_000) !== window) continue;
      expect(statuses).toEqual([...Array(10).fill(401), 429]);
      expect(right.status).toBe(429);
      expect(right.headers.get("retry-after")).toBe("60");
      return;
    }
  });
});
