/**
 * The groups aggregate: group rows, memberships as deltas, and the licence
 * transitions membership and licence-flag changes cause, each change one D1
 * batch. docs/membership-model.md explains the statements and their costs:
 * adding or removing one member reads ≤ 10 rows and writes ≤ 5, whatever the
 * group size, because nothing here reads or rewrites the member list.
 *
 * Raw SQL for the writes (changes()-based member_delta, INSERT … SELECT from
 * json_each, RETURNING, the lost-race guard, all in one batch); Drizzle's
 * builder for the plain read of a group.
 */
import { and, eq } from "drizzle-orm";
import type { GroupDoc, GroupKeys } from "../scim/resources/index.js";
import type { MemberDelta } from "../scim/patch/index.js";
import type { RequestDatabase } from "./database.js";
import { eventsFromSelect, eventStatement } from "./events.js";
import { newETagToken, newResourceId } from "./ids.js";
import { downgradeStatements, grantStatements, type LicenceStep } from "../licence/transitions.js";
import type { ListSource, ListTable } from "./listing.js";
import { rowMapper } from "./rows.js";
import { groups } from "./schema.js";
import { isForeignKeyViolation, isUniqueViolation } from "./sqlite-errors.js";
import { guardedBatch, isLostRace, lostRaceGuard } from "./write-guard.js";

export type GroupRow = typeof groups.$inferSelect;

export class DisplayNameTaken extends Error {}
/** Member values that are not users of this tenant (unknown, or another tenant's ids). */
export class UnknownMembers extends Error {
  constructor(readonly ids: string[]) {
    super(`Unknown members: ${ids.join(", ")}`);
  }
}
export class GroupNotFound extends Error {}

export const MEMBER_PAGE = 1000;

/** A `groups` row as D1 returns it for raw SQL. */
export const groupFromRow = rowMapper(groups);

/** Groups as the list engine reads them. */
export const groupsList: ListTable<GroupRow> = { table: "groups", counter: "groups", fromRow: groupFromRow, id: (r) => r.id };

/** The indexed ways to find groups (the list engine's sources); keys are given as stored (folded where the column is). */
export const groupSources = {
  id: (id: string): ListSource => ({ kind: "column", column: "id", value: id }),
  displayNameKey: (key: string): ListSource => ({ kind: "column", column: "display_name_key", value: key }),
  externalId: (id: string): ListSource => ({ kind: "column", column: "external_id", value: id }),
  /**
   * The groups of a user (Entra's and Okta's `members[value eq "<userId>"]`):
   * the membership user index (tenant_id, user_id), which carries group_id
   * in order, a page at a time — the same range plan as a group's members.
   */
  withMember: (userId: string): ListSource => ({
    kind: "range",
    range: { from: "memberships", where: "tenant_id = ?1 AND user_id = ?2", key: "group_id" },
    value: userId,
  }),
};

/** Indexed orders of groups. */
export const groupSortColumns = { id: "id", displayNameKey: "display_name_key", externalId: "external_id" } as const;

export async function getGroup(rd: RequestDatabase, tenantId: string, id: string): Promise<GroupRow | undefined> {
  const [row] = await rd.db
    .select()
    .from(groups)
    .where(and(eq(groups.tenantId, tenantId), eq(groups.id, id)));
  return row;
}

/** One page of a group's members in user-id order (keyset), with each user's displayName. */
export async function memberPage(
  rd: RequestDatabase,
  tenantId: string,
  groupId: string,
  after: string,
  limit: number = MEMBER_PAGE,
): Promise<Array<{ id: string; display: string | null }>> {
  const { results } = await rd.d1
    .prepare(
      `SELECT m.user_id AS id, u.display_name AS display
       FROM memberships m CROSS JOIN users u ON u.tenant_id = m.tenant_id AND u.id = m.user_id
       WHERE m.tenant_id = ?1 AND m.group_id = ?2 AND m.user_id > ?3 ORDER BY m.user_id LIMIT ?4`,
    )
    .bind(tenantId, groupId, after, limit)
    .all<{ id: string; display: string | null }>();
  return results;
}

/**
 * The members of several groups, at most `limit` in all (a list page's
 * `members`): group after group in the order of `groupIds`, each group's in
 * user-id order. One statement; no ORDER BY, because sorting would read
 * every member of every group before LIMIT applies: the CROSS JOINs fix the
 * loop order (json_each outside, each group's primary-key range inside), so
 * rows come out group by group and the read stops at `limit`. Rows read:
 * about 2 per member returned (its membership entry and its user row).
 */
export async function membersOfGroups(
  rd: RequestDatabase,
  tenantId: string,
  groupIds: string[],
  limit: number,
): Promise<Array<{ groupId: string; id: string; display: string | null }>> {
  if (groupIds.length === 0) return [];
  const { results } = await rd.d1
    .prepare(
      `SELECT m.group_id AS groupId, m.user_id AS id, u.display_name AS display
       FROM json_each(?2) j
       CROSS JOIN memberships m ON m.tenant_id = ?1 AND m.group_id = j.value
       CROSS JOIN users u ON u.tenant_id = m.tenant_id AND u.id = m.user_id
       LIMIT ?3`,
    )
    .bind(tenantId, JSON.stringify(groupIds), limit)
    .all<{ groupId: string; id: string; display: string | null }>();
  return results;
}

/** The member ids among `ids` that are not users of the tenant (for the 400 after a foreign-key failure). */
async function unknownUsers(rd: RequestDatabase, tenantId: string, ids: string[]): Promise<string[]> {
  const { results } = await rd.d1
    .prepare(`SELECT value AS id FROM json_each(?2) WHERE NOT EXISTS (SELECT 1 FROM users WHERE tenant_id = ?1 AND id = value)`)
    .bind(tenantId, JSON.stringify(ids))
    .all<{ id: string }>();
  return results.map((r) => r.id);
}

/**
 * Records the member change of the statement just before (changes()) as the
 * group's member_delta, for the counter statement that follows. The version
 * and lastModified move only when members really changed: re-adding current
 * members or removing absent ones leaves meta as it was (RFC 7644 §3.14).
 * RETURNING the etag gives the caller the version it ends with.
 */
function bump(
  rd: RequestDatabase,
  tenantId: string,
  groupId: string,
  etag: string,
  now: number,
  delta: "changes()" | "-changes()",
  bumps?: Set<D1PreparedStatement | undefined>,
): D1PreparedStatement {
  const stmt = rd.d1
    .prepare(
      `UPDATE groups SET member_delta = ${delta},
         etag = CASE WHEN changes() = 0 THEN etag ELSE ?3 END, last_modified = CASE WHEN changes() = 0 THEN last_modified ELSE ?4 END
       WHERE tenant_id = ?1 AND id = ?2 RETURNING etag`,
    )
    .bind(tenantId, groupId, etag, now);
  bumps?.add(stmt);
  return stmt;
}

/**
 * The statements of a member delta (PatchOp fold, or a PUT/POST list).
 * Each phase ends in one write of the counter row that carries the group's
 * member_delta and the licence counts together.
 */
export function memberDeltaStatements(
  rd: RequestDatabase,
  step: LicenceStep,
  groupId: string,
  delta: MemberDelta,
  etag: string,
  bumps?: Set<D1PreparedStatement | undefined>,
): D1PreparedStatement[] {
  const { tenantId, now } = step;
  const stmts: D1PreparedStatement[] = [];
  const add = JSON.stringify(delta.add);
  if (delta.replaceAll) {
    // Who leaves is only known before the delete: their events and
    // downgrades first (excluding this group from "still licensed"), then
    // delete, then count.
    stmts.push(
      memberEvents(rd, step, groupId, "group.member_removed", `SELECT user_id AS value, user_id AS key FROM memberships
         WHERE tenant_id = ?1 AND group_id = ?4 AND user_id NOT IN (SELECT value FROM json_each(?5))`, add),
      ...downgradeStatements(rd.d1, step, { kind: "groupExcept", groupId, keepJson: add }, { onlyIfNoLicensingGroup: true, excludeGroupId: groupId }),
      rd.d1
        .prepare(`DELETE FROM memberships WHERE tenant_id = ?1 AND group_id = ?2 AND user_id NOT IN (SELECT value FROM json_each(?3))`)
        .bind(tenantId, groupId, add),
      bump(rd, tenantId, groupId, etag, now, "-changes()", bumps),
      rd.d1
        // COALESCE: no such group (a PATCH of an unknown id reads nothing first) adds nothing, and the batch answers 404.
        .prepare(`UPDATE tenant_stats SET memberships = memberships + COALESCE((SELECT member_delta FROM groups WHERE tenant_id = ?1 AND id = ?2), 0) WHERE tenant_id = ?1`)
        .bind(tenantId, groupId),
    );
  } else if (delta.remove.length > 0) {
    const remove = JSON.stringify(delta.remove);
    stmts.push(
      memberEvents(rd, step, groupId, "group.member_removed", `SELECT value, key FROM json_each(?5) j
         WHERE EXISTS (SELECT 1 FROM memberships WHERE tenant_id = ?1 AND group_id = ?4 AND user_id = j.value)`, remove),
      delta.remove.length === 1
        ? // One id: a primary-key delete reads 1 row; IN (json_each) costs a few more.
          rd.d1.prepare(`DELETE FROM memberships WHERE tenant_id = ?1 AND group_id = ?2 AND user_id = ?3`).bind(tenantId, groupId, delta.remove[0])
        : rd.d1
            .prepare(`DELETE FROM memberships WHERE tenant_id = ?1 AND group_id = ?2 AND user_id IN (SELECT value FROM json_each(?3))`)
            .bind(tenantId, groupId, remove),
      bump(rd, tenantId, groupId, etag, now, "-changes()", bumps),
      ...downgradeStatements(rd.d1, step, { kind: "users", idsJson: remove }, { onlyIfNoLicensingGroup: true }, groupId),
    );
  }
  if (delta.add.length > 0) {
    stmts.push(
      memberEvents(rd, step, groupId, "group.member_added", `SELECT value, key FROM json_each(?5) j
         WHERE NOT EXISTS (SELECT 1 FROM memberships WHERE tenant_id = ?1 AND group_id = ?4 AND user_id = j.value)`, add),
      // Foreign keys reject unknown and other-tenant ids: the batch fails whole.
      rd.d1
        .prepare(`INSERT OR IGNORE INTO memberships (tenant_id, group_id, user_id) SELECT ?1, ?2, value FROM json_each(?3)`)
        .bind(tenantId, groupId, add),
      bump(rd, tenantId, groupId, etag, now, "changes()", bumps),
      ...grantStatements(rd.d1, step, { kind: "users", idsJson: add }, { kind: "licensingGroup", groupId }, groupId),
    );
  }
  return stmts;
}

/**
 * group.member_added / member_removed events (change feed) for the user ids
 * `users` selects (columns value, key; ?4 = the group, ?5 = `list`), written
 * before the membership change so that only real changes are recorded.
 */
function memberEvents(rd: RequestDatabase, step: LicenceStep, groupId: string, type: "group.member_added" | "group.member_removed", users: string, list: string): D1PreparedStatement {
  return eventsFromSelect(
    rd.d1,
    step,
    `SELECT '${type}' AS type, ?4 AS resource_id, (SELECT external_id FROM groups WHERE tenant_id = ?1 AND id = ?4) AS external_id,
            json_object('groupId', ?4, 'userId', u.value) AS data, u.key AS ord
     FROM (${users}) u`,
    [groupId, list],
  );
}

/** A group as an event's `data.resource` shows it: its id and stored document. */
function resourceOf(id: string, doc: GroupDoc): Record<string, unknown> {
  return { id, ...doc };
}

/** Licence flag flipped: re-evaluates every member with two set-based statements. */
export function licenceFlipStatements(rd: RequestDatabase, step: LicenceStep, groupId: string, licensing: boolean): D1PreparedStatement[] {
  return licensing
    ? grantStatements(rd.d1, step, { kind: "group", groupId }, { kind: "licensingGroup", groupId })
    : downgradeStatements(rd.d1, step, { kind: "group", groupId }, { onlyIfNoLicensingGroup: true });
}

async function runMemberBatch(rd: RequestDatabase, tenantId: string, stmts: D1PreparedStatement[], delta: MemberDelta): Promise<D1Result[]> {
  try {
    return await guardedBatch(rd, tenantId, stmts);
  } catch (err) {
    if (isForeignKeyViolation(err)) {
      const unknown = await unknownUsers(rd, tenantId, delta.add);
      if (unknown.length > 0) throw new UnknownMembers(unknown);
      throw new GroupNotFound();
    }
    if (isUniqueViolation(err)) throw new DisplayNameTaken();
    throw err;
  }
}

/**
 * POST. A group created without the licence value (Okta's group push sends
 * only displayName and members) takes the tenant's `licenceWhenAbsent`
 * policy, read inside the INSERT so the create stays one round trip.
 */
export async function createGroup(
  rd: RequestDatabase,
  step: LicenceStep,
  doc: GroupDoc,
  keys: GroupKeys,
  members: string[],
): Promise<GroupRow> {
  const { tenantId, now } = step;
  const row: GroupRow = {
    tenantId,
    id: newResourceId(now),
    displayName: String(doc.displayName),
    displayNameKey: keys.displayNameKey,
    externalId: keys.externalId,
    licensing: keys.licensing ?? true,
    doc: JSON.stringify(doc),
    memberDelta: 0,
    createdAt: now,
    lastModified: now,
    etag: newETagToken(),
  };
  const licensing = keys.licensing === null ? null : keys.licensing ? 1 : 0;
  const stmts = [
    rd.d1
      .prepare(
        `INSERT INTO groups (tenant_id, id, display_name, display_name_key, external_id, licensing, doc, member_delta, created_at, last_modified, etag)
         VALUES (?1, ?2, ?3, ?4, ?5, COALESCE(?6, (SELECT licence_when_absent <> 'free' FROM tenants WHERE id = ?1), 1), ?7, 0, ?8, ?8, ?9)
         RETURNING licensing`,
      )
      .bind(tenantId, row.id, row.displayName, row.displayNameKey, row.externalId, licensing, row.doc, now, row.etag),
    rd.d1.prepare(`UPDATE tenant_stats SET groups = groups + 1 WHERE tenant_id = ?1`).bind(tenantId),
    eventStatement(rd.d1, step, { type: "group.created", resourceId: row.id, externalId: row.externalId, data: { resource: resourceOf(row.id, doc) } }),
  ];
  const delta: MemberDelta = { replaceAll: false, add: members, remove: [] };
  stmts.push(...memberDeltaStatements(rd, step, row.id, delta, row.etag));
  const results = await runMemberBatch(rd, tenantId, stmts, delta);
  const stored = results[0]?.results[0] as { licensing: number } | undefined;
  return { ...row, licensing: stored ? stored.licensing === 1 : row.licensing };
}

export type GroupWriteOutcome = { kind: "updated"; etag: string } | { kind: "lostRace" } | { kind: "gone" };

/** An attribute change of a PATCH or PUT: the row read, the new doc and its keys (licensing decided). */
export interface GroupChange {
  current: GroupRow;
  doc: GroupDoc;
  keys: GroupKeys & { licensing: boolean };
  /** The attributes whose values changed, for the group.updated event. */
  changedAttributes: string[];
}

/**
 * PATCH and PUT, one batch in this order:
 * 1. the attribute change, written only if the row still has the etag read,
 *    and the lost-race guard right after it: a lost race (or a group deleted
 *    meanwhile) rolls the whole batch back — no member delta, no counter, no
 *    licence, no meta (write-guard.ts);
 * 2. the member delta, whose licence statements see the group's new
 *    licence value;
 * 3. when the licence value flipped, the re-evaluation of the members as
 *    they are after the delta.
 * So the licences end as the committed state says, whatever the order of
 * operations in the request: `[remove member u, set licence "True"]` on a
 * free group leaves u with no licence, not a downgraded one.
 */
export async function writeGroup(
  rd: RequestDatabase,
  step: LicenceStep,
  groupId: string,
  change: GroupChange | undefined,
  delta: MemberDelta | undefined,
): Promise<GroupWriteOutcome> {
  const { tenantId, now } = step;
  const etag = newETagToken();
  const stmts: D1PreparedStatement[] = [];
  if (change) {
    stmts.push(
      rd.d1
        .prepare(
          `UPDATE groups SET display_name = ?3, display_name_key = ?4, external_id = ?5, licensing = ?6, doc = ?7, last_modified = ?8, etag = ?9
           WHERE tenant_id = ?1 AND id = ?2 AND etag = ?10`,
        )
        .bind(tenantId, groupId, String(change.doc.displayName), change.keys.displayNameKey, change.keys.externalId, change.keys.licensing ? 1 : 0, JSON.stringify(change.doc), now, etag, change.current.etag),
      lostRaceGuard(rd.d1, `group:${groupId}`),
      eventStatement(rd.d1, step, {
        type: "group.updated",
        resourceId: groupId,
        externalId: change.keys.externalId,
        data: { attributes: change.changedAttributes, resource: resourceOf(groupId, change.doc) },
      }),
    );
  }
  const bumps = new Set<D1PreparedStatement | undefined>();
  if (delta) stmts.push(...memberDeltaStatements(rd, step, groupId, delta, etag, bumps));
  if (change && change.current.licensing !== change.keys.licensing) stmts.push(...licenceFlipStatements(rd, step, groupId, change.keys.licensing));
  if (stmts.length === 0) return { kind: "updated", etag: change?.current.etag ?? "" };
  let results: D1Result[];
  try {
    results = await runMemberBatch(rd, tenantId, stmts, delta ?? { replaceAll: false, add: [], remove: [] });
  } catch (err) {
    if (isLostRace(err)) return { kind: "lostRace" };
    throw err;
  }
  const bumped = results.filter((_, i) => bumps.has(stmts[i]));
  const last = bumped[bumped.length - 1]?.results[0] as { etag: string } | undefined;
  // Member-only PATCH reads nothing first: the group bump finding no row means there is no group.
  if (!change && !last) return { kind: "gone" };
  return { kind: "updated", etag: last?.etag ?? etag };
}

/**
 * DELETE: members who held their licence only through this group are
 * downgraded, counters move, then memberships and the row go. O(members),
 * the one group operation allowed to be.
 */
export async function deleteGroup(rd: RequestDatabase, step: LicenceStep, groupId: string): Promise<boolean> {
  const { tenantId } = step;
  const results = await guardedBatch(rd, tenantId, [
    ...downgradeStatements(rd.d1, step, { kind: "group", groupId }, { onlyIfNoLicensingGroup: true, excludeGroupId: groupId }),
    rd.d1
      .prepare(
        `UPDATE tenant_stats SET groups = groups - 1,
           memberships = memberships - (SELECT count(*) FROM memberships WHERE tenant_id = ?1 AND group_id = ?2)
         WHERE tenant_id = ?1 AND EXISTS (SELECT 1 FROM groups WHERE tenant_id = ?1 AND id = ?2)`,
      )
      .bind(tenantId, groupId),
    rd.d1.prepare(`DELETE FROM memberships WHERE tenant_id = ?1 AND group_id = ?2`).bind(tenantId, groupId),
    eventsFromSelect(
      rd.d1,
      step,
      `SELECT 'group.deleted' AS type, id AS resource_id, external_id, json_object('id', id) AS data, 0 AS ord FROM groups WHERE tenant_id = ?1 AND id = ?4`,
      [groupId],
    ),
    rd.d1.prepare(`DELETE FROM groups WHERE tenant_id = ?1 AND id = ?2`).bind(tenantId, groupId),
  ]);
  return (results[results.length - 1]?.meta.changes ?? 0) > 0;
}
