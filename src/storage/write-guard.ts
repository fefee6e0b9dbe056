/**
 * Lost races abort the whole batch.
 *
 * D1 has no interactive transactions, so a rewrite of a user or a group is
 * guarded by the etag it read (`UPDATE … WHERE etag = ?`). When another
 * writer got there first, that UPDATE matches no row — and every later
 * statement of the batch (counters, licence transitions, member deltas, and
 * the events that will join them) must not run either. Guarding each of them
 * separately is easy to forget; instead the statement right after the guarded
 * UPDATE inserts into `lost_races` when changes() = 0. That table's CHECK
 * constraint rejects every row, so the insert fails and D1 rolls the whole
 * batch back (a batch is one transaction). A lost race therefore changes
 * nothing at all, and the caller re-reads and retries.
 */
export const LOST_RACE_CONSTRAINT = "lost_race";

/** Must come immediately after the etag-guarded UPDATE it checks (changes() is the previous statement's count). */
export function lostRaceGuard(d1: D1Database, resource: string): D1PreparedStatement {
  return d1.prepare(`INSERT INTO lost_races (resource) SELECT ?1 WHERE changes() = 0`).bind(resource);
}

/** The batch failed because its guarded UPDATE lost the race (and nothing was applied). */
export function isLostRace(err: unknown): boolean {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if (e.message.includes(`CHECK constraint failed: ${LOST_RACE_CONSTRAINT}`)) return true;
  }
  return false;
}

/** The CHECK constraint of `paused_writes` (schema.ts). */
export const PAUSED_WRITES_CONSTRAINT = "tenant_writes_paused";

/** A write batch was refused, unchanged, because the tenant's writes are paused on this shard (a move). */
export class TenantWritesPaused extends Error {
  constructor(readonly tenantId: string) {
    super(`Writes of tenant ${tenantId} are paused on this shard (a move).`);
    this.name = "TenantWritesPaused";
  }
}

/**
 * The first statement of every SCIM write batch when tenants can move
 * (RequestDatabase.movable, more than one data shard): it fails the batch —
 * one transaction, so nothing is applied — when the tenant's copy on this
 * shard has writes paused. Checked inside the batch, not before it, so a
 * move that starts between a request's read and its write still stops the
 * write. 1 row read (the tenants primary key).
 */
export function pausedWritesGuard(rd: { d1: D1Database; movable: boolean }, tenantId: string): D1PreparedStatement[] {
  if (!rd.movable) return [];
  return [rd.d1.prepare(`INSERT INTO paused_writes (tenant_id) SELECT id FROM tenants WHERE id = ?1 AND writes_paused_at IS NOT NULL`).bind(tenantId)];
}

/** Runs a write batch behind pausedWritesGuard; throws TenantWritesPaused when the guard stopped it. */
export async function guardedBatch<T = unknown>(
  rd: { d1: D1Database; movable: boolean },
  tenantId: string,
  statements: D1PreparedStatement[],
): Promise<D1Result<T>[]> {
  const guard = pausedWritesGuard(rd, tenantId);
  try {
    const results = await rd.d1.batch<T>([...guard, ...statements]);
    return results.slice(guard.length);
  } catch (err) {
    for (let e: unknown = err; e instanceof Error; e = e.cause) {
      if (e.message.includes(`CHECK constraint failed: ${PAUSED_WRITES_CONSTRAINT}`)) throw new TenantWritesPaused(tenantId);
    }
    throw err;
  }
}
