/**
 * One user's licence as the admin listing would show it
 * (src/licence/current-licences.ts, same predicate: a downgraded licence at
 * or past its expiresAt is not held, swept or not), for the console's user
 * page — "why is this user not Pro?".
 */
import { and, eq, sql } from "drizzle-orm";
import { dateTime } from "../scim/data-types.js";
import type { Database } from "../storage/database.js";
import { licences } from "../storage/schema.js";
import type { LicenceView } from "./current-licences.js";

export async function userLicence(db: Database, tenantId: string, userId: string, userName: string, now: number = Date.now()): Promise<LicenceView | undefined> {
  const [r] = await db
    .select()
    .from(licences)
    .where(
      and(
        eq(licences.tenantId, tenantId),
        eq(licences.userId, userId),
        sql`(${licences.status} = 'active' OR ${licences.expiresAt} IS NULL OR ${licences.expiresAt} > ${now})`,
      ),
    );
  if (!r) return undefined;
  const downgraded = r.status === "downgraded";
  return {
    userId,
    userName,
    status: r.status,
    since: dateTime(r.since),
    downgradedAt: downgraded && r.downgradedAt !== null ? dateTime(r.downgradedAt) : null,
    expiresAt: downgraded && r.expiresAt !== null ? dateTime(r.expiresAt) : null,
  };
}
