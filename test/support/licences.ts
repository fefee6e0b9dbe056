/**
 * Licence facts read straight from D1 (a test may count; the worker never
 * does), and the SCIM calls that move licences.
 */
import { env } from "cloudflare:workers";
import { expect } from "vitest";
import type { ScimTenant } from "./scim-tenant.js";
import { expectExactCounters } from "./tenant-counters.js";

export const GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group";
export const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
/** The group licence extension of the test configuration (wrangler.toml). */
export const LICENCE_EXT = "urn:ietf:params:scim:schemas:extension:klaxoon:2.0:Group";

export interface StoredLicence {
  status: string;
  since: number;
  downgraded_at: number | null;
  expires_at: number | null;
}

export async function licenceOf(tenantId: string, userId: string): Promise<StoredLicence | null> {
  return env.DB.prepare(`SELECT status, since, downgraded_at, expires_at FROM licences WHERE tenant_id = ?1 AND user_id = ?2`)
    .bind(tenantId, userId)
    .first<StoredLicence>();
}

/** Exact counters, and the invariant: an active licence ⇔ an active user with a licensing membership. */
export async function expectLicenceInvariant(tenantId: string): Promise<Record<string, number>> {
  const stats = await expectExactCounters(tenantId);
  const { results } = await env.DB.prepare(
    `SELECT u.id, (l.status = 'active') AS licensed,
            EXISTS (SELECT 1 FROM memberships m JOIN groups g ON g.tenant_id = m.tenant_id AND g.id = m.group_id
                    WHERE m.tenant_id = u.tenant_id AND m.user_id = u.id AND g.licensing = 1) AND u.active = 1 AS qualifies
     FROM users u LEFT JOIN licences l ON l.tenant_id = u.tenant_id AND l.user_id = u.id WHERE u.tenant_id = ?1`,
  )
    .bind(tenantId)
    .all<{ id: string; licensed: number | null; qualifies: number }>();
  for (const r of results) expect(!!r.licensed, `user ${r.id}`).toBe(!!r.qualifies);
  return stats;
}

export async function createUser(t: ScimTenant, userName: string, extra: Record<string, unknown> = {}): Promise<string> {
  const r = await t.request("POST", "/Users", { userName, active: true, ...extra });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body.id as string;
}

/** POST /Groups; `licence` undefined sends no licence extension at all. */
export async function createGroup(t: ScimTenant, displayName: string, licence: unknown, members: string[] = []): Promise<string> {
  const body: Record<string, unknown> = { schemas: [GROUP_SCHEMA], displayName, members: members.map((value) => ({ value })) };
  if (licence !== undefined) body[LICENCE_EXT] = { license: licence };
  const r = await t.request("POST", "/Groups", body);
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body.id as string;
}

export function patchGroup(t: ScimTenant, id: string, Operations: unknown[]) {
  return t.request("PATCH", `/Groups/${id}`, { schemas: [PATCH_OP], Operations });
}

export function patchUser(t: ScimTenant, id: string, Operations: unknown[]) {
  return t.request("PATCH", `/Users/${id}`, { schemas: [PATCH_OP], Operations });
}

export async function groupLicensing(tenantId: string, groupId: string): Promise<boolean> {
  const row = await env.DB.prepare(`SELECT licensing FROM groups WHERE tenant_id = ?1 AND id = ?2`).bind(tenantId, groupId).first<{ licensing: number }>();
  return row?.licensing === 1;
}
