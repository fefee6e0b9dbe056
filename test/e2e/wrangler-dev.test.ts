/**
 * The plain wrangler flows of a fresh clone (without `npm start`), for
 * real: migrations applied with wrangler, `wrangler dev` with the admin
 * token as a --var, a tenant and a token made through the admin API, the
 * Tenant URL answering SCIM, and the scheduled handler reachable through
 * /__scheduled.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWranglerDev, type WranglerDev, adminRequest as adminRequestTo } from "./support/wrangler-dev.js";

let worker: WranglerDev;

beforeAll(async () => {
  worker = await startWranglerDev();
});

afterAll(async () => {
  await worker?.stop();
});

const adminRequest = (method: string, path: string, body?: unknown) => adminRequestTo(worker, method, path, body);

describe("wrangler dev with migrations applied by wrangler", () => {
  it("answers /healthz without authentication", async () => {
    const res = await fetch(`${worker.origin}/healthz`);
    expect(res.status).toBe(200);
  });

  it("refuses the admin API without the --var ADMIN_TOKEN", async () => {
    const res = await fetch(`${worker.origin}/admin/tenants`, { headers: { authorization: "Bearer not-the-token" } });
    expect(res.status).toBe(401);
  });

  it("serves a tenant's SCIM endpoint with a token issued through the admin API, with D1 metrics headers", async () => {
    const created = await adminRequest("POST", "/admin/tenants", { id: "e2e", name: "E2E", allowedDomains: ["contoso.com"] });
    expect(created.status).toBe(201);
    const tenant = (await created.json()) as { scimBaseUrl: string };
    expect(tenant.scimBaseUrl).toBe(`${worker.origin}/tenants/e2e/scim/v2`);

    const issued = await adminRequest("POST", "/admin/tenants/e2e/tokens", { label: "e2e" });
    expect(issued.status).toBe(201);
    const { token } = (await issued.json()) as { token: string };

    const res = await fetch(`${tenant.scimBaseUrl}/ServiceProviderConfig`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/scim\+json/);
    expect(res.headers.get("x-d1-rows-read")).toMatch(/^\d+$/);
    expect(res.headers.get("x-d1-rows-written")).toMatch(/^\d+$/);

    const users = await fetch(`${tenant.scimBaseUrl}/Users?filter=${encodeURIComponent('userName eq "nobody@contoso.com"')}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    // Entra's Test Connection probe: 200 with an empty list.
    expect(users.status).toBe(200);
    expect(await users.json()).toMatchObject({ totalResults: 0, Resources: [] });
    expect(users.headers.get("x-d1-rows-read")).toMatch(/^\d+$/);

    const stranger = await fetch(`${tenant.scimBaseUrl}/ServiceProviderConfig`, { headers: { authorization: "Bearer scim_unknown" } });
    expect(stranger.status).toBe(401);
  });

  it("runs the scheduled handler through /__scheduled (--test-scheduled)", async () => {
    const res = await fetch(`${worker.origin}/__scheduled?cron=*/15+*+*+*+*`);
    expect(res.status).toBe(200);
  });
});
