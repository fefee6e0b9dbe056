/**
 * The SQL of the licence sweep: one page through the partial expiry index,
 * and the bounded count of what is still due (sweep.ts runs them).
 */
import { LAST_SEQ } from "../storage/events.js";
import { licenceData } from "./transitions.js";

export interface SweepPageResult {
  /** Licences met in the expiry index (expired downgraded + stale hints of re-upgraded ones). */
  scanned: number;
  expiredByTenant: Map<string, number>;
  rowsRead: number;
  statements: number;
}

/**
 * One page of the licence sweep: up to `pageSize` licences whose expires_at
 * <= `at`, read through the partial expiry index (O(page) rows), then in one
 * batch: the counters, the expired downgraded licences deleted, and stale
 * hints of re-upgraded licences cleared. Every statement re-checks status, so
 * a licence revived since the read is left alone and a doubled or late run
 * changes nothing twice.
 *
 * The batch addresses the page as a range of the expiry index, not as a list
 * of keys: the index of a WITHOUT ROWID table is ordered by (expires_at,
 * tenant_id, user_id), so the page is every entry <= its last key (a
 * row-value range SQLite seeks directly). Why (bug found by
 * test/licences/licence-sweep.test.ts): the former counter statement ran a
 * correlated subquery over the whole JSON key list once per tenant of the
 * page, O(tenants × page) rows — 1.1 million rows read to expire 10,000
 * licences of 50 tenants, ~115 rows per licence; the json_each key lists also
 * cost a read per key in every statement. Now ≈ 6 rows per licence met,
 * plus ≈ 10 for its licence.expired event (docs/events.md).
 * Everything at or below the bound leaves the index in this batch (deleted,
 * or its hint cleared), so the next page starts after it.
 */
export async function sweepPage(d1: D1Database, at: number, pageSize: number): Promise<SweepPageResult> {
  const { results: due, meta } = await d1
    .prepare(
      `SELECT expires_at, tenant_id, user_id FROM licences INDEXED BY licences_expiry_idx
       WHERE expires_at IS NOT NULL AND expires_at <= ?1 ORDER BY expires_at, tenant_id, user_id LIMIT ?2`,
    )
    .bind(at, pageSize)
    .all<{ expires_at: number; tenant_id: string; user_id: string }>();
  const expiredByTenant = new Map<string, number>();
  const last = due[due.length - 1];
  if (!last) return { scanned: 0, expiredByTenant, rowsRead: meta.rows_read ?? 0, statements: 1 };
  // The page as an index range: (expires_at, tenant_id, user_id) <= the last key read (which is <= at).
  const inPage = `expires_at IS NOT NULL AND (expires_at, tenant_id, user_id) <= (?1, ?2, ?3)`;
  const bound = [last.expires_at, last.tenant_id, last.user_id] as const;
  const batch = await d1.batch([
    d1
      .prepare(
        `UPDATE tenant_stats SET downgraded_licenses = downgraded_licenses - c.n
         FROM (SELECT tenant_id, count(*) AS n FROM licences INDEXED BY licences_expiry_idx
               WHERE ${inPage} AND status = 'downgraded' GROUP BY tenant_id) c
         WHERE tenant_stats.tenant_id = c.tenant_id`,
      )
      .bind(...bound),
    // licence.expired events (change feed), each tenant's numbered after its
    // last event. (Looking that up once per tenant through a grouped
    // subquery reads more, not less: it walks the page twice.)
    d1
      .prepare(
        `INSERT INTO events (seq, tenant_id, tenant_seq, occurred_at, type, resource_id, external_id, data, request_id)
         SELECT ${LAST_SEQ} + row_number() OVER (ORDER BY l.tenant_id, l.user_id), l.tenant_id,
                COALESCE((SELECT max(tenant_seq) FROM events e WHERE e.tenant_id = l.tenant_id),
                         (SELECT events_pruned_through FROM tenant_stats s WHERE s.tenant_id = l.tenant_id), 0)
                  + row_number() OVER (PARTITION BY l.tenant_id ORDER BY l.user_id),
                ?4, 'licence.expired', l.user_id, u.external_id, ${licenceData("l")}, 'sweep'
         FROM licences l INDEXED BY licences_expiry_idx CROSS JOIN users u ON u.tenant_id = l.tenant_id AND u.id = l.user_id
         WHERE ${inPage.replace(/\b(expires_at|tenant_id|user_id)\b/g, "l.$1")} AND l.status = 'downgraded'`,
      )
      .bind(...bound, at),
    d1.prepare(`DELETE FROM licences INDEXED BY licences_expiry_idx WHERE ${inPage} AND status = 'downgraded' RETURNING tenant_id`).bind(...bound),
    d1.prepare(`UPDATE licences INDEXED BY licences_expiry_idx SET expires_at = NULL WHERE ${inPage} AND status = 'active'`).bind(...bound),
  ]);
  for (const row of (batch[2]?.results ?? []) as Array<{ tenant_id: string }>) {
    expiredByTenant.set(row.tenant_id, (expiredByTenant.get(row.tenant_id) ?? 0) + 1);
  }
  const rowsRead = (meta.rows_read ?? 0) + batch.reduce((n, r) => n + (r.meta.rows_read ?? 0), 0);
  return { scanned: due.length, expiredByTenant, rowsRead, statements: 5 };
}

/** Most index entries sweepBacklog reads: it runs once per unfinished sweep, so its cost stays bounded however far behind. */
export const SWEEP_BACKLOG_CAP = 100_000;

export interface SweepBacklog {
  /** Licences still due (expires_at <= at) in the expiry index; a lower bound when `capped`. */
  due: number;
  /** True when the count stopped at the cap: there are at least `due`. */
  capped: boolean;
  rowsRead: number;
}

/**
 * How many licences the sweep still has to visit at `at`: the due range of
 * the partial expiry index — expired downgraded licences, and re-upgraded
 * ones whose stale hint is due to be cleared. Counted inside the index only
 * (a covering scan, no table lookup) and through a LIMIT subquery, so it
 * reads at most `cap` rows whatever the backlog.
 */
export async function sweepBacklog(d1: D1Database, at: number, cap: number = SWEEP_BACKLOG_CAP): Promise<SweepBacklog> {
  const { results, meta } = await d1
    .prepare(
      `SELECT count(*) AS due FROM (
         SELECT 1 FROM licences INDEXED BY licences_expiry_idx WHERE expires_at IS NOT NULL AND expires_at <= ?1 LIMIT ?2)`,
    )
    .bind(at, cap)
    .all<{ due: number }>();
  const due = results[0]?.due ?? 0;
  return { due, capped: due >= cap, rowsRead: meta.rows_read ?? 0 };
}
