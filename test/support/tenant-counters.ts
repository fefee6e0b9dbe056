/**
 * The tenant's stats (counters kept in each change's batch) must equal what
 * the tables hold; the check counts with count(*) — fine in a test, never in
 * the worker.
 *
 * Two facts are checked. The stored counter row equals the stored licence
 * rows (the changes()-based counters are exact). And the admin `stats` leave
 * out downgraded licences already expired but not yet swept (a licence is
 * never reported as held after its expiry, docs/licences.md), so they equal
 * the rows minus those.
 */
import { env } from "cloudflare:workers";
import { expect } from "vitest";
import { admin } from "./admin-client.js";

export async function expectExactCounters(tenantId: string): Promise<Record<string, number>> {
  const res = await admin("GET", `/admin/tenants/${tenantId}`);
  const stats = ((await res.json()) as { stats: Record<string, number> }).stats;
  // Taken after the response: whatever the worker saw as expired is expired here too (tests never
  // write an expiry in the few milliseconds between the two).
  const now = Date.now();
  const truth = await env.DB.prepare(
    `SELECT (SELECT count(*) FROM users WHERE tenant_id = ?1) AS users,
            (SELECT count(*) FROM users WHERE tenant_id = ?1 AND active = 1) AS activeUsers,
            (SELECT count(*) FROM groups WHERE tenant_id = ?1) AS groups,
            (SELECT count(*) FROM memberships WHERE tenant_id = ?1) AS memberships,
            (SELECT count(*) FROM licences WHERE tenant_id = ?1 AND status = 'active') AS proLicenses,
            (SELECT count(*) FROM licences WHERE tenant_id = ?1 AND status = 'downgraded') AS downgradedLicenses,
            (SELECT count(*) FROM licences WHERE tenant_id = ?1 AND status = 'downgraded' AND expires_at <= ?2) AS expiredUnswept,
            (SELECT downgraded_licenses FROM tenant_stats WHERE tenant_id = ?1) AS storedDowngraded`,
  )
    .bind(tenantId, now)
    .first<Record<string, number>>();
  const { expiredUnswept, storedDowngraded, ...counts } = truth!;
  expect(storedDowngraded, "tenant_stats.downgraded_licenses").toBe(counts.downgradedLicenses);
  expect(stats).toMatchObject({ ...counts, downgradedLicenses: counts.downgradedLicenses! - expiredUnswept! });
  return stats;
}
