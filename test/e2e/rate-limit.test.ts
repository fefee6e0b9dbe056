/**
 * wrangler.toml's per-tenant rate limits, as `wrangler dev` runs them (its
 * simulation of the Workers Rate Limiting binding): past 1,000 requests in
 * 10 s a tenant gets 429 with Retry-After and a SCIM error while another
 * tenant keeps getting 200; past 20 failed authentications in a minute, a
 * tenant URL answers 429.
 *
 * The binding's windows are aligned to the clock, so a window can end in the
 * middle of the run: requests are sent until the 429 comes, at most two
 * windows' worth.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWranglerDev, type WranglerDev } from "./support/wrangler-dev.js";

let worker: WranglerDev;

beforeAll(async () => {
  worker = await startWranglerDev();
});

afterAll(async () => {
  await worker?.stop();
});

async function tenant(id: string): Promise<{ base: string; token: string }> {
  const headers = { authorization: `Bearer ${worker.adminToken}`, "content-type": "application/json" };
  const created = await fetch(`${worker.origin}/admin/tenants`, { method: "POST", headers, body: JSON.stringify({ id, name: id }) });
  expect(created.status).toBe(201);
  const issued = await fetch(`${worker.origin}/admin/tenants/${id}/tokens`, { method: "POST", headers, body: "{}" });
  expect(issued.status).toBe(201);
  return { base: `${worker.origin}/tenants/${id}/scim/v2`, token: ((await issued.json()) as { token: string }).token };
}

/** Sends `request` `parallel` at a time until a 429; returns the number of 200s before it and the 429. */
async function until429(max: number, parallel: number, request: () => Promise<Response>): Promise<{ ok: number; other: number[]; limited: Response }> {
  let ok = 0;
  const other: number[] = [];
  for (let sent = 0; sent < max; sent += parallel) {
    const replies = await Promise.all(Array.from({ length: parallel }, request));
    const limited = replies.find((r) => r.status === 429);
    for (const r of replies) {
      if (r === limited) continue;
      if (r.status === 200) ok += 1;
      else if (r.status !== 429) other.push(r.status);
      await r.arrayBuffer();
    }
    if (limited) return { ok, other, limited };
  }
  throw new Error(`no 429 after ${max} requests (${ok} answered 200)`);
}

async function expectScim429(res: Response, retryAfter: string): Promise<void> {
  expect(res.status).toBe(429);
  expect(res.headers.get("retry-after")).toBe(retryAfter);
  expect(res.headers.get("content-type")).toMatch(/^application\/scim\+json/);
  expect(await res.json()).toMatchObject({ schemas: ["urn:ietf:params:scim:api:messages:2.0:Error"], status: "429" });
}

describe("wrangler.toml's rate limits under wrangler dev", () => {
  it("a tenant past 1,000 requests in 10 s gets 429 + Retry-After: 10, another tenant keeps getting 200", async () => {
    const busy = await tenant("rl-busy");
    const quiet = await tenant("rl-quiet");
    const get = (t: { base: string; token: string }) => () => fetch(`${t.base}/ServiceProviderConfig`, { headers: { authorization: `Bearer ${t.token}` } });
    const { ok, other, limited } = await until429(2_200, 50, get(busy));
    expect(other).toEqual([]);
    expect(ok).toBeGreaterThanOrEqual(1_000 - 50);
    await expectScim429(limited, "10");
    for (let i = 0; i < 5; i++) {
      const res = await get(quiet)();
      expect(res.status).toBe(200);
      await res.arrayBuffer();
    }
  });

  it("a tenant URL past 20 failed authentications in a minute answers 429", async () => {
    const t = await tenant("rl-guessed");
    const guess = () => fetch(`${t.base}/Users`, { headers: { authorization: `Bearer scim_guess-${crypto.randomUUID()}` } });
    const { limited } = await until429(45, 1, guess);
    await expectScim429(limited, "60");
  });
});
