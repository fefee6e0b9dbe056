/**
 * Licence transitions: the SQL that moves a licence between granted,
 * downgraded and gone, written as set-based statements that join the batch
 * of the change causing them (a user's `active`, a membership, a group's
 * licence value, a deletion). Invariant kept by every batch:
 *
 *   a user holds an `active` licence  ⇔  the user is active and a member of
 *   at least one licensing group.
 *
 * Counters (tenant_stats.pro_licenses / downgraded_licenses) move in the same
 * batch, using SQLite's changes() — the row count of the statement just
 * before — so they stay exact under concurrent requests without reading the
 * member list. The state table is in README.md beside this file.
 *
 * Every transition also appends its events to the change feed in the same
 * batch (licence.activated / reactivated / downgraded / removed).
 *
 * Raw SQL, not Drizzle's builder: the statements rely on changes(),
 * INSERT … SELECT … ON CONFLICT DO UPDATE and json_each, and their exact
 * shape is what the row budgets were measured on.
 */
import { eventsFromSelect, isoSql, type EventOrigin } from "../storage/events.js";

const HOUR_MS = 3_600_000;

export interface LicenceStep {
  tenantId: string;
  now: number;
  /** Unique per request: marks the rows this batch changed, so the counter and event statements can find them. */
  nonce: string;
  /** The SCIM request id the licence events name. */
  requestId: string;
}

/**
 * The marker of one grant or downgrade statement: the request's nonce plus a
 * part of its own, so that when one batch runs several (a member add and a
 * licence flip), each one's counter and event statements see only its rows.
 */
function markOf(step: LicenceStep): string {
  return `${step.nonce}.${crypto.randomUUID().slice(0, 8)}`;
}

/**
 * The licence events (change feed) of the rows the statement marked `mark`
 * changed, among the candidates: one INSERT … SELECT whatever their number.
 * It runs after the counter statement, which reads changes() of the
 * transition itself.
 */
function licenceEvents(d1: D1Database, step: LicenceStep, candidates: LicenceCandidates, mark: string, kinds: Array<"granted" | "revived" | "downgraded">): D1PreparedStatement {
  const source = `SELECT CASE substr(l.transition, length(?5) + 2)
                           WHEN 'granted' THEN 'licence.activated' WHEN 'revived' THEN 'licence.reactivated' ELSE 'licence.downgraded' END AS type,
                         l.user_id AS resource_id, u.external_id AS external_id, ${licenceData("l")} AS data, l.user_id AS ord
                  FROM (${candidateIds(candidates, "?1", "?4")}) c
                  CROSS JOIN licences l ON l.tenant_id = ?1 AND l.user_id = c.user_id
                  CROSS JOIN users u ON u.tenant_id = ?1 AND u.id = l.user_id
                  WHERE l.transition IN (SELECT ?5 || ':' || value FROM json_each(?6))`;
  return eventsFromSelect(d1, origin(step), source, [candidateParam(candidates), mark, JSON.stringify(kinds)]);
}

/** The licence facts of an event, as JSON built in SQL from licences row `l`. */
export function licenceData(l: string): string {
  return `json_object('userId', ${l}.user_id, 'status', ${l}.status, 'since', ${isoSql(`${l}.since`)},
            'downgradedAt', ${isoSql(`CASE WHEN ${l}.status = 'downgraded' THEN ${l}.downgraded_at END`)},
            'expiresAt', ${isoSql(`CASE WHEN ${l}.status = 'downgraded' THEN ${l}.expires_at END`)})`;
}

function origin(step: LicenceStep): EventOrigin {
  return { tenantId: step.tenantId, now: step.now, requestId: step.requestId };
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
  const mark = markOf(step);
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
    .bind(step.tenantId, step.now, mark, candidateParam(candidates), rule.kind === "licensingGroup" ? rule.groupId : null);
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
    .bind(step.tenantId, mark, candidateParam(candidates), memberDeltaOfGroup ?? null);
  return [grant, counters, licenceEvents(d1, step, candidates, mark, ["granted", "revived"])];
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
  const mark = markOf(step);
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
    .bind(step.tenantId, step.now, HOUR_MS, mark, options.excludeGroupId ?? null, candidateParam(candidates));
  const counters = d1
    .prepare(
      `UPDATE tenant_stats SET pro_licenses = pro_licenses - changes(), downgraded_licenses = downgraded_licenses + changes(),
         memberships = memberships + ${membershipTerm("?2")}
       WHERE tenant_id = ?1`,
    )
    .bind(step.tenantId, memberDeltaOfGroup ?? null);
  return [downgrade, counters, licenceEvents(d1, step, candidates, mark, ["downgraded"])];
}

/**
 * Deletes a user's licence (user deletion) with its counter and its
 * `licence.removed` event (for a licence still held: an expired, unswept one
 * is not). Runs before the users row goes (foreign key).
 */
export function deleteUserLicenceStatements(d1: D1Database, origin: EventOrigin, userId: string): D1PreparedStatement[] {
  const tenantId = origin.tenantId;
  return [
    eventsFromSelect(
      d1,
      origin,
      `SELECT 'licence.removed' AS type, l.user_id AS resource_id, u.external_id AS external_id, ${licenceData("l")} AS data, 0 AS ord
       FROM licences l CROSS JOIN users u ON u.tenant_id = l.tenant_id AND u.id = l.user_id
       WHERE l.tenant_id = ?1 AND l.user_id = ?4 AND (l.status = 'active' OR l.expires_at > ?2)`,
      [userId],
    ),
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
