/**
 * Setup links: a self-serve page for one tenant's IT admin (src/console/setup.tsx),
 * at `/setup/<tenantId>/<id>.<secret>`. Single-tenant (every statement is
 * keyed by the tenant of the URL, and the link remembers its tenant's
 * created_at, so a tenant re-created under the same id does not inherit it),
 * expiring (default 7 days), revocable; the secret is kept only as its
 * SHA-256 and checked in constant time.
 */
import { and, desc, eq, isNull, lt, sql } from "drizzle-orm";
import type { Database } from "./database.js";
import { newResourceId } from "./ids.js";
import { setupLinks } from "./schema.js";
import { newSecret, secretMatches, splitPresented } from "./secrets.js";
import type { Tenant } from "./tenants.js";

export const DEFAULT_SETUP_LINK_DAYS = 7;
export const MAX_SETUP_LINK_DAYS = 30;
/** Secret Tokens one link may issue: enough for a retry or two, not a token factory for whoever holds the link. */
export const SETUP_LINK_MAX_TOKENS = 5;

export interface IssuedSetupLink {
  id: string;
  /** `<id>.<secret>`: the last segment of the link, shown once. */
  presented: string;
  createdAt: number;
  expiresAt: number;
}

export interface SetupLink {
  id: string;
  tenantId: string;
  createdAt: number;
  expiresAt: number;
  tokensIssued: number;
}

export async function createSetupLink(db: Database, tenant: Tenant, expiresInDays: number, now: number = Date.now()): Promise<IssuedSetupLink> {
  const id = newResourceId(now);
  const { presented, secretHash } = await newSecret(id);
  const expiresAt = now + expiresInDays * 86_400_000;
  await db.insert(setupLinks).values({ tenantId: tenant.id, id, secretHash, tenantCreatedAt: tenant.createdAt, createdAt: now, expiresAt });
  return { id, presented, createdAt: now, expiresAt };
}

/** Revokes a link of this tenant; false when it has no such link (or it was already revoked). */
export async function revokeSetupLink(db: Database, tenantId: string, id: string, now: number = Date.now()): Promise<boolean> {
  const rows = await db
    .update(setupLinks)
    .set({ revokedAt: now })
    .where(and(eq(setupLinks.tenantId, tenantId), eq(setupLinks.id, id), isNull(setupLinks.revokedAt)))
    .returning({ id: setupLinks.id });
  return rows.length > 0;
}

/** The link `presented` opens for this tenant now; undefined if unknown, for another tenant, revoked or expired. */
export async function openSetupLink(db: Database, tenant: Tenant, presented: string | undefined, now: number = Date.now()): Promise<SetupLink | undefined> {
  const parts = splitPresented(presented);
  if (!parts) return undefined;
  const [row] = await db
    .select()
    .from(setupLinks)
    .where(and(eq(setupLinks.tenantId, tenant.id), eq(setupLinks.id, parts.id)));
  if (!row || row.revokedAt !== null || row.expiresAt <= now || row.tenantCreatedAt !== tenant.createdAt) return undefined;
  if (!(await secretMatches(parts.secret, row.secretHash))) return undefined;
  return { id: row.id, tenantId: row.tenantId, createdAt: row.createdAt, expiresAt: row.expiresAt, tokensIssued: row.tokensIssued };
}

/**
 * Counts one more token issued through the link, if it may issue one: one
 * guarded UPDATE, so two clicks at once cannot pass the bound together.
 */
export async function spendSetupLinkToken(db: Database, tenantId: string, id: string, now: number = Date.now()): Promise<boolean> {
  const rows = await db
    .update(setupLinks)
    .set({ tokensIssued: sql`${setupLinks.tokensIssued} + 1` })
    .where(
      and(
        eq(setupLinks.tenantId, tenantId),
        eq(setupLinks.id, id),
        isNull(setupLinks.revokedAt),
        sql`${setupLinks.expiresAt} > ${now}`,
        lt(setupLinks.tokensIssued, SETUP_LINK_MAX_TOKENS),
      ),
    )
    .returning({ id: setupLinks.id });
  return rows.length > 0;
}

/** The tenant's links, newest first (never a secret): for the console's tenant page. */
export async function listSetupLinks(db: Database, tenant: Tenant) {
  return db
    .select({ id: setupLinks.id, createdAt: setupLinks.createdAt, expiresAt: setupLinks.expiresAt, revokedAt: setupLinks.revokedAt, tokensIssued: setupLinks.tokensIssued })
    .from(setupLinks)
    .where(and(eq(setupLinks.tenantId, tenant.id), eq(setupLinks.tenantCreatedAt, tenant.createdAt)))
    .orderBy(desc(setupLinks.createdAt))
    .limit(50);
}
