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
