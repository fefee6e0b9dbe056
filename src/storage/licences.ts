/**
 * Pro licences (contract.md, "Licence rules"): the SQL that moves a licence
 * between granted, downgraded and gone, written as set-based statements that
 * join the batch of the change causing them. Invariant kept by every batch:
 *
 *   a user holds an `active` licence  ⇔  the user is active and a member of
 *   at least one licensing group.
 *
 * Counters (tenant_stats.pro_licenses / downgraded_licenses) move in the same
 * batch, using SQLite's changes() — the row count of the statement just
 * before — so they stay exact under concurrent requests without reading the
 * member list (docs/licences.md).
 */
import { and, asc, eq, sql } from "drizzle-orm";
import type { Database } from "./database.js";
import { licences, users } from "./schema.js";

const HOUR_MS = 3_600_000;

export interface LicenceStep {
  tenantId: string;
  now: number;
  /** Unique per request: marks the rows this batch revived, so the counter update can count them. */
  nonce: string;
}

/** Where a grant or downgrade looks for candidate users. */
export type LicenceCandidates =
  | { kind: "users"; idsJson: string }
  | { kind: "group"; groupId: string }
  /** Members of a group except `keep` (a replace of the member list). */
  | { kind: "groupExcept"; groupId: string; keepJson: string };

function candidateIds(c: LicenceCandidates, tenantParam: string, candidateParam: string): string {
  switch (c.kind) {
    case "users":
      return `SELECT value AS user_id FROM json_each(${candidateParam})`;
    case "group":
      return `SELECT user_id FROM memberships WHERE tenant_id = ${tenantParam} AND group_id = ${candidateParam}`;
    case "groupExcept":
      return `SELECT user_id FROM memberships WHERE tenant_id = ${tenantParam} AND group_id = json_extract(${candidateParam}, '$.group')
              AND user_id NOT IN (SELECT value FROM json_each(${candidateParam}, '$.keep'))`;
  }
}

/** One bound parameter per candidate set (D1 caps a statement at 100; lists travel as JSON). */
function candidateParam(c: LicenceCandidates): string {
  switch (c.kind) {
    case "users":
      return c.idsJson;
    case "group":
      return c.groupId;
    case "groupExcept":
      return JSON.stringify({ group: c.groupId, keep: JSON.parse(c.keepJson) as unknown });
  }
}

/** The counter-row expression adding the group's last member delta (or nothing). */
function membershipTerm(param: string): string {
  // Always references its parameter (D1 rejects unused bindings); a NULL group id reads nothing.
  return `COALESCE((SELECT member_delta FROM groups WHERE tenant_id = ?1 AND id = ${param}), 0)`;
}

/**
 * Who qualifies for a grant: members of one known licensing group (a member
 * add: cheaper, one group row), or any user with a licensing membership
 * (reactivation, licence flip to true).
 */
export type GrantRule = { kind: "licensingGroup"; groupId: string } | { kind: "anyLicensingMembership" };

/**
 * Grants (or revives) the licence of every active candidate that qualifies,
 * then updates the counter row once: `pro += changes()`, `downgraded -=
 * revived` (rows this batch marked "<nonce>:revived"), and, when given, the
 * group's member_delta added to the memberships counter — one write of the
 * counter row for the whole change. A revive keeps expires_at as a stale
 * sweep hint (no index write); the sweep clears it.
 */
export function grantStatements(
  d1: D1Database,
  step: LicenceStep,
  candidates: LicenceCandidates,
  rule: GrantRule,
  memberDeltaOfGroup?: string,
): D1PreparedStatement[] {
  const qualifies =
    rule.kind === "licensingGroup"
      ? `(SELECT licensing FROM groups WHERE tenant_id = ?1 AND id = ?5) = 1`
      : `EXISTS (SELECT 1 FROM memberships m CROSS JOIN groups g ON g.tenant_id = m.tenant_id AND g.id = m.group_id
                 WHERE m.tenant_id = ?1 AND m.user_id = u.id AND g.licensing = 1) AND ?5 IS NULL`;
  const grant = d1
    .prepare(
      `INSERT INTO licences (tenant_id, user_id, status, since, transition)
       SELECT ?1, u.id, 'active', ?2, ?3 || ':granted'
       FROM (${candidateIds(candidates, "?1", "?4")}) c CROSS JOIN users u ON u.tenant_id = ?1 AND u.id = c.user_id
       WHERE u.active = 1 AND ${qualifies}
       ON CONFLICT (tenant_id, user_id) DO UPDATE
         SET status = 'active', downgraded_at = NULL, transition = ?3 || ':revived',
           -- A licence that expired but was not swept yet is a new licence, not a revived one.
           since = CASE WHEN licences.expires_at <= ?2 THEN ?2 ELSE licences.since END
         WHERE licences.status = 'downgraded'`,
    )
    .bind(step.tenantId, step.now, step.nonce, candidateParam(candidates), rule.kind === "licensingGroup" ? rule.groupId : null);
  const counters = d1
    .prepare(
      `UPDATE tenant_stats SET
         pro_licenses = pro_licenses + changes(),
         downgraded_licenses = downgraded_licenses - (
           SELECT count(*) FROM (${candidateIds(candidates, "?1", "?3")}) c
           CROSS JOIN licences l ON l.tenant_id = ?1 AND l.user_id = c.user_id
           WHERE l.transition = ?2 || ':revived'),
         memberships = memberships + ${membershipTerm("?4")}
       WHERE tenant_id = ?1`,
    )
    .bind(step.tenantId, step.nonce, candidateParam(candidates), memberDeltaOfGroup ?? null);
  return [grant, counters];
}

/**
 * Downgrades the active licence of every candidate that no longer qualifies:
 * every candidate (`onlyIfNoLicensingGroup: false`, user deactivated), or
 * those left in no licensing group other than `excludeGroupId`. Then one
 * write of the counter row: `pro -= changes(), downgraded += changes()` and
 * the group's member_delta when given.
 */
export function downgradeStatements(
  d1: D1Database,
  step: LicenceStep,
  candidates: LicenceCandidates,
  options: { excludeGroupId?: string; onlyIfNoLicensingGroup: boolean },
  memberDeltaOfGroup?: string,
): D1PreparedStatement[] {
  const noLicensingGroup = options.onlyIfNoLicensingGroup
    ? `AND NOT EXISTS (SELECT 1 FROM memberships m CROSS JOIN groups g ON g.tenant_id = m.tenant_id AND g.id = m.group_id
                       WHERE m.tenant_id = ?1 AND m.user_id = licences.user_id AND g.licensing = 1 AND m.group_id IS NOT ?5)`
    : "AND ?5 IS NULL";
  const downgrade = d1
    .prepare(
      // The grace comes from the tenant row inside the statement, so only a
      // batch that really downgrades pays the read.
      `UPDATE licences SET status = 'downgraded', downgraded_at = ?2,
         expires_at = ?2 + ?3 * (SELECT pro_grace_hours FROM tenants WHERE id = ?1), transition = ?4 || ':downgraded'
       WHERE tenant_id = ?1 AND status = 'active' AND user_id IN (${candidateIds(candidates, "?1", "?6")}) ${noLicensingGroup}`,
    )
    .bind(step.tenantId, step.now, HOUR_MS, step.nonce, options.excludeGroupId ?? null, candidateParam(candidates));
  const counters = d1
    .prepare(
      `UPDATE tenant_stats SET pro_licenses = pro_licenses - changes(), downgraded_licenses = downgraded_licenses + changes(),
         memberships = memberships + ${membershipTerm("?2")}
       WHERE tenant_id = ?1`,
    )
    .bind(step.tenantId, memberDeltaOfGroup ?? null);
  return [downgrade, counters];
}

/**
 * Deletes a user's licence (user deletion, contract.md) with its counter.
 * Runs before the users row goes (foreign key).
 */
export function deleteUserLicenceStatements(d1: D1Database, tenantId: string, userId: string): D1PreparedStatement[] {
  return [
    d1
      .prepare(
        `UPDATE tenant_stats SET
           pro_licenses = pro_licenses - (SELECT count(*) FROM licences WHERE tenant_id = ?1 AND user_id = ?2 AND status = 'active'),
           downgraded_licenses = downgraded_licenses - (SELECT count(*) FROM licences WHERE tenant_id = ?1 AND user_id = ?2 AND status = 'downgraded')
         WHERE tenant_id = ?1`,
      )
      .bind(tenantId, userId),
    d1.prepare(`DELETE FROM licences WHERE tenant_id = ?1 AND user_id = ?2`).bind(tenantId, userId),
  ];
}

export interface LicenceView {
  userId: string;
  userName: string;
  status: "active" | "downgraded";
  since: string;
  downgradedAt: string | null;
  expiresAt: string | null;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/**
 * The admin listing (contract.md): a bounded page in user-id order.
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
      since: new Date(r.since).toISOString(),
      downgradedAt: r.status === "downgraded" ? iso(r.downgradedAt) : null,
      // An active licence may keep a stale sweep hint; it has no expiry.
      expiresAt: r.status === "downgraded" ? iso(r.expiresAt) : null,
    })),
    nextCursor: rows.length > limit ? (page[page.length - 1]?.userId ?? null) : null,
  };
}

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
 * cost a read per key in every statement. Now ≈ 6 rows per licence met.
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
    d1.prepare(`DELETE FROM licences INDEXED BY licences_expiry_idx WHERE ${inPage} AND status = 'downgraded' RETURNING tenant_id`).bind(...bound),
    d1.prepare(`UPDATE licences INDEXED BY licences_expiry_idx SET expires_at = NULL WHERE ${inPage} AND status = 'active'`).bind(...bound),
  ]);
  for (const row of (batch[1]?.results ?? []) as Array<{ tenant_id: string }>) {
    expiredByTenant.set(row.tenant_id, (expiredByTenant.get(row.tenant_id) ?? 0) + 1);
  }
  const rowsRead = (meta.rows_read ?? 0) + batch.reduce((n, r) => n + (r.meta.rows_read ?? 0), 0);
  return { scanned: due.length, expiredByTenant, rowsRead, statements: 4 };
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
