/**
 * Per-tenant rate limits against the real worker (its Hono app with the real
 * D1, KV and Workers Rate Limiting bindings of the vitest pool). The budget
 * tests hand the app two test-only limiters with tiny budgets
 * (vitest.config.ts: 5 requests per 10 s, 3 failures per minute) in place
 * of wrangler.toml's, so a budget is spent in a few requests; the last test
 * goes through the worker's own entry with wrangler.toml's defaults.
 *
 * The binding's windows are fixed and aligned to the clock, so a window may
 * end in the middle of a test: each test sends until the 429 comes (at most
 * two windows' worth) instead of expecting it at an exact request.
 */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createApp } from "../../app.js";
import { createTenant, issueToken, ORIGIN } from "../../../test/support/admin-client.js";
import { AUTH_FAILURE_PERIOD_SECONDS, TENANT_PERIOD_SECONDS } from "./index.js";

const ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error";
const TIGHT_REQUESTS = 5;
const TIGHT_FAILURES = 3;

const app = createApp();
const tightEnv = { ...env, SCIM_RATE_LIMIT: env.TEST_TIGHT_RATE_LIMIT, SCIM_AUTH_FAILURE_LIMIT: env.TEST_TIGHT_AUTH_FAILURE_LIMIT };

let counter = 0;
async function tenant(): Promise<{ id: string; token: string }> {
  counter += 1;
  const id = `rl${counter}-${crypto.randomUUID().slice(0, 8)}`;
  await createTenant({ id, name: `Rate limit ${id}` });
  return { id, token: (await issueToken(id)).token };
}

/** One SCIM request through the app with the tight limiters. */
async function send(tenantId: string, token: string, path = "/Users?count=1"): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await app.fetch(new Request(`${ORIGIN}/tenants/${tenantId}/scim/v2${path}`, { headers: { authorization: `Bearer ${token}` } }), tightEnv, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

/** Sends until a 429 (at most two windows' worth of requests); returns the statuses before it and the 429. */
async function until429(max: number, request: () => Promise<Response>): Promise<{ before: number[]; limited: Response }> {
  const before: number[] = [];
  for (let i = 0; i < max; i++) {
    const res = await request();
    if (res.status === 429) return { before, limited: res };
    before.push(res.status);
    await res.arrayBuffer();
  }
  throw new Error(`no 429 after ${max} requests: ${before.join(",")}`);
}

async function expectScim429(res: Response, maxRetryAfter: number): Promise<string> {
  expect(res.status).toBe(429);
  expect(res.headers.get("content-type")).toMatch(/^application\/scim\+json/);
  const retryAfter = Number(res.headers.get("retry-after"));
  expect(Number.isInteger(retryAfter)).toBe(true);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(maxRetryAfter);
  const body = (await res.json()) as { schemas: string[]; status: unknown; scimType?: string; detail: string };
  expect(body.schemas).toEqual([ERROR_SCHEMA]);
  expect(body.status).toBe("429");
  // RFC 7644 §3.12 defines scimType values for 400 only.
  expect(body).not.toHaveProperty("scimType");
  return body.detail;
}

describe("the tenant's request budget", () => {
  it("a tenant over its budget gets 429 with Retry-After and a SCIM error, while a second tenant keeps getting 200", async () => {
    const a = await tenant();
    const b = await tenant();
    const { before, limited } = await until429(2 * TIGHT_REQUESTS + 1, () => send(a.id, a.token));
    expect(before.every((s) => s === 200)).toBe(true);
    expect(before.length).toBeGreaterThanOrEqual(TIGHT_REQUESTS);
    expect(limited.headers.get("retry-after")).toBe(String(TENANT_PERIOD_SECONDS));
    expect(await expectScim429(limited, TENANT_PERIOD_SECONDS)).toMatch(/Too many requests for this tenant/);
    // The other tenant, right after: its own budget.
    for (let i = 0; i < TIGHT_REQUESTS - 1; i++) {
      const res = await send(b.id, b.token);
      expect(res.status).toBe(200);
      expect((await res.json<{ totalResults: number }>()).totalResults).toBe(0);
    }
  });

  it("every SCIM endpoint counts, discovery included", async () => {
    const a = await tenant();
    const { limited } = await until429(2 * TIGHT_REQUESTS + 1, () => send(a.id, a.token, "/ServiceProviderConfig"));
    await expectScim429(limited, TENANT_PERIOD_SECONDS);
  });

  it("requests with a wrong token do not spend the tenant's budget", async () => {
    const a = await tenant();
    // Under the failure throttle's budget of 3 per minute, so each is a plain 401.
    for (let i = 0; i < TIGHT_FAILURES; i++) expect((await send(a.id, "scim_wrong")).status).toBe(401);
    // Were the failures counted, the budget of 5 would be spent after two of these.
    for (let i = 0; i < TIGHT_REQUESTS - 1; i++) expect((await send(a.id, a.token)).status).toBe(200);
  });
});

describe("failed authentications per tenant URL", () => {
  it("past the budget: 429 instead of 401, and unknown credentials are not even checked until the period ends", async () => {
    const a = await tenant();
    const b = await tenant();
    // The identity provider's token works here before the attack.
    expect((await send(a.id, a.token)).status).toBe(200);
    const { before, limited } = await until429(2 * TIGHT_FAILURES + 1, () => send(a.id, `scim_guess-${crypto.randomUUID()}`));
    expect(before.every((s) => s === 401)).toBe(true);
    expect(before.length).toBeGreaterThanOrEqual(TIGHT_FAILURES);
    expect(limited.headers.get("retry-after")).toBe(String(AUTH_FAILURE_PERIOD_SECONDS));
    expect(limited.headers.get("www-authenticate")).toBeNull();
    expect(await expectScim429(limited, AUTH_FAILURE_PERIOD_SECONDS)).toMatch(/failed authentications/);

    // More guesses: 429, whatever they are.
    await expectScim429(await send(a.id, "scim_another-guess"), AUTH_FAILURE_PERIOD_SECONDS);
    // A valid token this isolate has never seen succeed is a guess too: it is not checked, so a
    // lucky guess cannot be told from a wrong one.
    const unseen = await issueToken(a.id);
    await expectScim429(await send(a.id, unseen.token), AUTH_FAILURE_PERIOD_SECONDS);
    // The token that authenticated here before keeps working: the identity provider is not locked out.
    const trusted = await send(a.id, a.token);
    expect(trusted.status).toBe(200);
    expect((await trusted.json<{ schemas: string[] }>()).schemas).toEqual(["urn:ietf:params:scim:api:messages:2.0:ListResponse"]);

    // Another tenant: unaffected, its failures are still 401 and its token works.
    expect((await send(b.id, "scim_wrong")).status).toBe(401);
    expect((await send(b.id, b.token)).status).toBe(200);
  });

  it("a request for a malformed tenant id is refused before anything is counted", async () => {
    for (let i = 0; i < 2 * TIGHT_FAILURES + 1; i++) expect((await send("Not_A_Tenant", "scim_wrong")).status).toBe(401);
  });
});

describe("wrangler.toml's limiters, through the worker's own entry", () => {
  it("SCIM_AUTH_FAILURE_LIMIT (20 a minute) answers 429 past its budget; the tenant's requests are still served with its token", async () => {
    expect(typeof env.SCIM_RATE_LIMIT?.limit).toBe("function");
    const a = await tenant();
    const call = (token: string) =>
      exports.default.fetch(`${ORIGIN}/tenants/${a.id}/scim/v2/Users?count=1`, { headers: { authorization: `Bearer ${token}` } });
    expect((await call(a.token)).status).toBe(200);
    const { before, limited } = await until429(41, () => call(`scim_guess-${crypto.randomUUID()}`));
    expect(before.length).toBeGreaterThanOrEqual(20);
    await expectScim429(limited, AUTH_FAILURE_PERIOD_SECONDS);
    expect((await call(a.token)).status).toBe(200);
  });
});
