/**
 * The last Test Connection probe of each tenant (schema.ts,
 * test_connection_probes): written after the response by the SCIM Users
 * listing when it answered Entra's probe, read by the setup page.
 */
import type { Database } from "./database.js";
import { testConnectionProbes } from "./schema.js";
import { and, eq, gte } from "drizzle-orm";

export interface TestConnectionProbe {
  at: number;
  requestId: string;
  userAgent: string | null;
}

/** One row per tenant, overwritten: 1 row written, only while the tenant exists and is live. */
export function recordTestConnectionProbeStatement(d1: D1Database, tenantId: string, probe: TestConnectionProbe): D1PreparedStatement {
  return d1
    .prepare(
      `INSERT INTO test_connection_probes (tenant_id, at, request_id, user_agent)
       SELECT ?1, ?2, ?3, ?4 WHERE EXISTS (SELECT 1 FROM tenants WHERE id = ?1 AND deleted_at IS NULL)
       ON CONFLICT (tenant_id) DO UPDATE SET at = excluded.at, request_id = excluded.request_id, user_agent = excluded.user_agent
       WHERE excluded.at >= test_connection_probes.at`,
    )
    .bind(tenantId, probe.at, probe.requestId, probe.userAgent);
}

/** The tenant's last probe since `since` (its creation: an older row was a previous tenant's with the same id). */
export async function lastTestConnectionProbe(db: Database, tenantId: string, since: number): Promise<TestConnectionProbe | undefined> {
  const [row] = await db
    .select({ at: testConnectionProbes.at, requestId: testConnectionProbes.requestId, userAgent: testConnectionProbes.userAgent })
    .from(testConnectionProbes)
    .where(and(eq(testConnectionProbes.tenantId, tenantId), gte(testConnectionProbes.at, since)));
  return row;
}
