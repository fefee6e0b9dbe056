/**
 * The SQL of the licence sweep: one page through the partial expiry index,
 * and the bounded count of what is still due (sweep.ts runs them).
 */
import { LAST_SEQ } from "../storage/events.js";
import { licenceData } from "./transitions.js";

/** A key of the expiry index, in its order: (expires_at, tenant_id, user_id). */
export type SweepKey = readonly [expiresAt: number, tenantId: string, userId: string];
/** Below every key: where a run starts. */
export const SWEEP_START: SweepKey = [Number.MIN_SAFE_INTEGER, "", ""];

export interface SweepPageResult {
  /** Licences met in the expiry index (expired downgraded + stale hints of re-upgraded ones, held ones too). */
  scanned: number;
  expiredByTenant: Map<string, number>;
  /** Tenants of the page whose licences were left in place: writes paused on this shard (a move), or no copy here. */
  held: string[];
  /** The page's last key: the next page of the run starts after it (undefined: nothing was due). */
  last: SweepKey | undefined;
  rowsRead: number;
  statements: number;
}

export interface SweepPageOptions {
  /** The run's position: the page starts after this key. */
  after?: SweepKey;
  /**
   * Tenants can move (more than one data shard; RequestDatabase.movable):
   * leave alone the licences of tenants whose copy here has writes paused.
   */
  movable?: boolean;
}

/** The page's range of the expiry index: after the run's position, up to the page's last key (which is <= at). Columns of `alias`. */
function inPage(alias = ""): string {
  const key = `(${alias}expires_at, ${alias}tenant_id, ${alias}user_id)`;
  return `${alias}expires_at IS NOT NULL AND ${key} > (?4, ?5, ?6) AND ${key} <= (?1, ?2, ?3)`;
}

/**
 * Only tenants with a copy on this shard whose writes are not paused (?7:
 * the page's tenant ids as a JSON array): a move is copying a paused
 * tenant's licences, and the shard it goes to sweeps them after the switch.
 * One primary-key read per tenant of the page, not per licence, and inside
 * the batch, so a move that pauses the tenant after the page was read still
 * keeps the batch away from it.
 */
const sweepable = (alias = "") =>
  `AND ${alias}tenant_id IN (SELECT t.id FROM json_each(?7) j CROSS JOIN tenants t ON t.id = j.value WHERE t.writes_paused_at IS NULL)`;

/**
 * One page of the licence sweep: up to `pageSize` licences whose expires_at
 * <= `at`, after the run's position, read through the partial expiry index
 * (O(page) rows), then in one batch: the counters, the licence.expired
 * events, the expired downgraded licences deleted, and stale hints of
 * re-upgraded licences cleared. Every statement re-checks status, so a
 * licence revived since the read is left alone and a doubled or late run
 * changes nothing twice.
 *
 * The batch addresses the page as a range of the expiry index, not as a list
 * of keys: the index of a WITHOUT ROWID table is ordered by (expires_at,
 * tenant_id, user_id), so the page is every entry after the run's position
 * and <= its last key (a row-value range SQLite seeks directly). Why (bug
 * found by test/licences/licence-sweep.test.ts): the former counter
 * statement ran a correlated subquery over the whole JSON key list once per
 * tenant of the page, O(tenants × page) rows — 1.1 million rows read to
 * expire 10,000 licences of 50 tenants, ~115 rows per licence; the json_each
 * key lists also cost a read per key in every statement. Now ≈ 6 rows per
 * licence met, plus ≈ 10 for its licence.expired event (docs/events.md).
 *
 * With more than one data shard (`movable`), licences of a tenant whose
 * writes are paused here (a move) stay in the index: the page says which
 * tenants it held, and the run's position moves past them, so they cost a
 * run one index read each, never a page re-reading them. One statement more
 * per page (the held tenants) and a read per tenant of the page in each.
 */
export async function sweepPage(d1: D1Database, at: number, pageSize: number, options: SweepPageOptions = {}): Promise<SweepPageResult> {
  const after = options.after ?? SWEEP_START;
  const { results: due, meta } = await d1
    .prepare(
      `SELECT expires_at, tenant_id, user_id FROM licences INDEXED BY licences_expiry_idx
       WHERE expires_at IS NOT NULL AND (expires_at, tenant_id, user_id) > (?3, ?4, ?5) AND expires_at <= ?1
       ORDER BY expires_at, tenant_id, user_id LIMIT ?2`,
    )
    .bind(at, pageSize, ...after)
    .all<{ expires_at: number; tenant_id: string; user_id: string }>();
  const expiredByTenant = new Map<string, number>();
  const last = due[due.length - 1];
  if (!last) return { scanned: 0, expiredByTenant, held: [], last: undefined, rowsRead: meta.rows_read ?? 0, statements: 1 };
  const lastKey: SweepKey = [last.expires_at, last.tenant_id, last.user_id];
  const movable = options.movable === true;
  // ?1–?3: the page's last key; ?4–?6: the run's position; ?7: the page's tenants (movable only).
  const bound: unknown[] = [...lastKey, ...after, ...(movable ? [JSON.stringify([...new Set(due.map((r) => r.tenant_id))])] : [])];
  const only = movable ? sweepable() : "";
  const statements = [
    d1
      .prepare(
        `UPDATE tenant_stats SET downgraded_licenses = downgraded_licenses - c.n
         FROM (SELECT tenant_id, count(*) AS n FROM licences INDEXED BY licences_expiry_idx
               WHERE ${inPage()} AND status = 'downgraded' ${only} GROUP BY tenant_id) c
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
                ?${bound.length + 1}, 'licence.expired', l.user_id, u.external_id, ${licenceData("l")}, 'sweep'
         FROM licences l INDEXED BY licences_expiry_idx CROSS JOIN users u ON u.tenant_id = l.tenant_id AND u.id = l.user_id
         WHERE ${inPage("l.")} AND l.status = 'downgraded' ${movable ? sweepable("l.") : ""}`,
      )
      .bind(...bound, at),
    d1.prepare(`DELETE FROM licences INDEXED BY licences_expiry_idx WHERE ${inPage()} AND status = 'downgraded' ${only} RETURNING tenant_id`).bind(...bound),
    d1.prepare(`UPDATE licences INDEXED BY licences_expiry_idx SET expires_at = NULL WHERE ${inPage()} AND status = 'active' ${only}`).bind(...bound),
  ];
  // Which of the page's tenants were held, read in the same transaction as the statements that left them alone.
  if (movable) {
    statements.push(
      d1
        .prepare(`SELECT j.value AS tenant_id FROM json_each(?1) j LEFT JOIN tenants t ON t.id = j.value WHERE t.id IS NULL OR t.writes_paused_at IS NOT NULL`)
        .bind(bound[6]),
    );
  }
  const batch = await d1.batch<Record<string, unknown>>(statements);
  for (const row of (batch[2]?.results ?? []) as Array<{ tenant_id: string }>) {
    expiredByTenant.set(row.tenant_id, (expiredByTenant.get(row.tenant_id) ?? 0) + 1);
  }
  const held = movable ? ((batch[4]?.results ?? []) as Array<{ tenant_id: string }>).map((r) => r.tenant_id) : [];
  const rowsRead = (meta.rows_read ?? 0) + batch.reduce((n, r) => n + (r.meta.rows_read ?? 0), 0);
  return { scanned: due.length, expiredByTenant, held, last: lastKey, rowsRead, statements: 1 + batch.length };
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
 * How many licences the sweep still has to visit at `at` after a run's
 * position (`after`; by default the whole due range): the due range of the
 * partial expiry index — expired downgraded licences, and re-upgraded ones
 * whose stale hint is due to be cleared. Counted inside the index only (a
 * covering scan, no table lookup) and through a LIMIT subquery, so it reads
 * at most `cap` rows whatever the backlog.
 */
export async function sweepBacklog(d1: D1Database, at: number, cap: number = SWEEP_BACKLOG_CAP, after: SweepKey = SWEEP_START): Promise<SweepBacklog> {
  const { results, meta } = await d1
    .prepare(
      `SELECT count(*) AS due FROM (
         SELECT 1 FROM licences INDEXED BY licences_expiry_idx
         WHERE expires_at IS NOT NULL AND (expires_at, tenant_id, user_id) > (?3, ?4, ?5) AND expires_at <= ?1 LIMIT ?2)`,
    )
    .bind(at, cap, ...after)
    .all<{ due: number }>();
  const due = results[0]?.due ?? 0;
  return { due, capped: due >= cap, rowsRead: meta.rows_read ?? 0 };
}
