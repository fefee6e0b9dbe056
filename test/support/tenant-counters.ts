/**
 * The tenant's stats (counters kept in each change's batch) must equal what
 * the tables hold; the check counts with count(*) — fine in a test, never in
 * the worker.
 */
import { env } from "cloudflare:workers";
import { expect } from "vitest";
import { admin } from "./admin-client.js";

export async function expectExactCounters(tenantId: string): Promise<Record<string, number>> {
  const res = await admin("GET", `/admin/tenants/${tenantId}`);
  const stats = ((await res.json()) as { stats: Record<string, number> }).stats;
  const truth = await env.DB.prepare(
    `SELECT (SELECT count(*) FROM users WHERE tenant_id = ?1) AS users,
            (SELECT count(*) FROM users WHERE tenant_id = ?1 AND active = 1) AS activeUsers,
            (SELECT count(*) FROM groups WHERE tenant_id = ?1) AS groups,
            (SELECT count(*) FROM memberships WHERE tenant_id = ?1) AS memberships,
            (SELECT count(*) FROM licences WHERE tenant_id = ?1 AND status = 'active') AS proLicenses,
            (SELECT count(*) FROM licences WHERE tenant_id = ?1 AND status = 'downgraded') AS downgradedLicenses`,
  )
    .bind(tenantId)
    .first<Record<string, number>>();
  expect(stats).toMatchObject(truth!);
  return stats;
}
