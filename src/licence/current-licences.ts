/**
 * The licences held now, for the admin API: a downgraded licence whose
 * expiresAt has passed is not held, whether or not the sweep has deleted it.
 */
import { and, asc, eq, sql } from "drizzle-orm";
import { dateTime } from "../scim/data-types.js";
import type { Database } from "../storage/database.js";
import { licences, users } from "../storage/schema.js";

export interface LicenceView {
  userId: string;
  userName: string;
  status: "active" | "downgraded";
  since: string;
  downgradedAt: string | null;
  expiresAt: string | null;
}

const orNull = (ms: number | null): string | null => (ms === null ? null : dateTime(ms));

/**
 * The admin listing (`GET /admin/tenants/{id}/licenses`): a bounded page in user-id order.
 *
 * A downgraded licence whose expiresAt is at or before `now` is expired and
 * not listed, whether or not the sweep has deleted it yet: a licence is never
 * reported as held after its expiry (docs/licences.md). Same predicate as the
 * sweep (expires_at <= now is expired) and the current_licences view. An
 * active licence is listed whatever its (stale) sweep hint says.
 */
export async function listLicences(
  db: Database,
  tenantId: string,
  options: { status?: "active" | "downgraded"; limit?: number; after?: string; now?: number } = {},
): Promise<{ licenses: LicenceView[]; nextCursor: string | null }> {
  const limit = Math.min(Math.max(options.limit ?? 1000, 1), 1000);
  const now = options.now ?? Date.now();
  const conditions = [
    eq(licences.tenantId, tenantId),
    sql`(${licences.status} = 'active' OR ${licences.expiresAt} IS NULL OR ${licences.expiresAt} > ${now})`,
  ];
  if (options.status) conditions.push(eq(licences.status, options.status));
  if (options.after) conditions.push(sql`${licences.userId} > ${options.after}`);
  const rows = await db
    .select({
      userId: licences.userId,
      userName: users.userName,
      status: licences.status,
      since: licences.since,
      downgradedAt: licences.downgradedAt,
      expiresAt: licences.expiresAt,
    })
    .from(licences)
    .innerJoin(users, and(eq(users.tenantId, licences.tenantId), eq(users.id, licences.userId)))
    .where(and(...conditions))
    .orderBy(asc(licences.userId))
    .limit(limit + 1);
  const page = rows.slice(0, limit);
  return {
    licenses: page.map((r) => ({
      userId: r.userId,
      userName: r.userName,
      status: r.status,
      since: dateTime(r.since),
      downgradedAt: r.status === "downgraded" ? orNull(r.downgradedAt) : null,
      // An active licence may keep a stale sweep hint; it has no expiry.
      expiresAt: r.status === "downgraded" ? orNull(r.expiresAt) : null,
    })),
    nextCursor: rows.length > limit ? (page[page.length - 1]?.userId ?? null) : null,
  };
}
