/**
 * The licence sweep, end to end: `wrangler dev --test-scheduled`, a licence downgraded
 * through SCIM with proGraceHours 0, then `GET /__scheduled` runs the
 * scheduled handler and the due licence is gone. With grace 0 the
 * downgrade expires at once, so no read reports it even before the sweep.
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

async function call(method: string, path: string, token: string, body?: unknown): Promise<Response> {
  return fetch(`${worker.origin}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/scim+json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

describe("the licence sweep under wrangler dev --test-scheduled", () => {
  it("expires a downgraded licence whose grace has passed when /__scheduled runs", async () => {
    const admin = worker.adminToken;
    expect((await call("POST", "/admin/tenants", admin, { id: "sweep-e2e", name: "Sweep", proGraceHours: 0 })).status).toBe(201);
    const { token } = (await (await call("POST", "/admin/tenants/sweep-e2e/tokens", admin, {})).json()) as { token: string };
    const base = "/tenants/sweep-e2e/scim/v2";
    const user = (await (await call("POST", `${base}/Users`, token, { userName: "pro@example.com" })).json()) as { id: string };
    const group = (await (await call("POST", `${base}/Groups`, token, { displayName: "Pro", members: [{ value: user.id }] })).json()) as { id: string };

    const active = (await (await call("GET", "/admin/tenants/sweep-e2e/licenses", admin)).json()) as { licenses: Array<{ status: string; since: string }> };
    expect(active.licenses.map((l) => l.status)).toEqual(["active"]);
    const firstSince = active.licenses[0]!.since;

    const removed = await call("PATCH", `${base}/Groups/${group.id}`, token, {
      schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
      Operations: [{ op: "Remove", path: "members", value: [{ value: user.id }] }],
    });
    expect(removed.status).toBe(204);
    // Expired at once (expiresAt = downgradedAt): not listed, not counted, though the sweep has not run.
    const downgraded = (await (await call("GET", "/admin/tenants/sweep-e2e/licenses", admin)).json()) as { licenses: unknown[] };
    expect(downgraded.licenses).toEqual([]);
    const unswept = (await (await call("GET", "/admin/tenants/sweep-e2e", admin)).json()) as { stats: Record<string, number> };
    expect(unswept.stats).toMatchObject({ proLicenses: 0, downgradedLicenses: 0 });

    const run = await fetch(`${worker.origin}/__scheduled?cron=${encodeURIComponent("*/15 * * * *")}`);
    expect(run.status).toBe(200);

    const after = (await (await call("GET", "/admin/tenants/sweep-e2e/licenses", admin)).json()) as { licenses: unknown[] };
    expect(after.licenses).toEqual([]);
    const tenant = (await (await call("GET", "/admin/tenants/sweep-e2e", admin)).json()) as { stats: Record<string, number> };
    expect(tenant.stats).toMatchObject({ proLicenses: 0, downgradedLicenses: 0, memberships: 0, users: 1, groups: 1 });

    // The row itself is gone: added back, the user gets a new licence (a downgraded row still
    // stored would be revived with its first `since`).
    const readded = await call("PATCH", `${base}/Groups/${group.id}`, token, {
      schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
      Operations: [{ op: "Add", path: "members", value: [{ value: user.id }] }],
    });
    expect(readded.status).toBe(204);
    const fresh = (await (await call("GET", "/admin/tenants/sweep-e2e/licenses", admin)).json()) as { licenses: Array<{ status: string; since: string }> };
    expect(fresh.licenses.map((l) => l.status)).toEqual(["active"]);
    expect(Date.parse(fresh.licenses[0]!.since)).toBeGreaterThan(Date.parse(firstSince));
  });
});
