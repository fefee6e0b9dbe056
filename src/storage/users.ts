/**
 * The users aggregate: rows of `users` with their indexed keys, the tenant's
 * user counters, and the licence transitions a change of `active` causes —
 * each change one D1 batch (docs/storage.md).
 *
 * Raw SQL, typed by the schema (rows.ts): the reads select a correlated
 * groups column and the writes chain changes()-based counters and the
 * lost-race guard in one batch, which Drizzle's builder cannot express.
 */
import type { UserDoc, UserKeys } from "../scim/resources/index.js";
import type { RequestDatabase } from "./database.js";
import { eventsFromSelect, eventStatement, type EventOrigin } from "./events.js";
import { newETagToken, newResourceId } from "./ids.js";
import { deleteUserLicenceStatements, downgradeStatements, grantStatements, type LicenceStep } from "../licence/transitions.js";
import type { ListSource, ListTable } from "./listing.js";
import { rowMapper } from "./rows.js";
import { users } from "./schema.js";
import { isUniqueViolation } from "./sqlite-errors.js";
import { guardedBatch, isLostRace, lostRaceGuard } from "./write-guard.js";

/** A group a user is a direct member of, as the User's `groups` attribute shows it. */
export interface GroupRef {
  id: string;
  displayName: string;
}

export type UserRow = typeof users.$inferSelect & {
  /** Direct groups, when they were read with the row (USER_GROUPS_COLUMN). */
  groups?: GroupRef[];
};

export class UserNameTaken extends Error {}

/**
 * A select-list column with the row's direct groups as a JSON array of
 * [id, displayName], for a `users` table aliased `t`. Reading the groups in
 * the same statement as the user saves a D1 round trip on every GET, filter
 * and PATCH response; the correlated read costs what a separate query would
 * (the user's membership index range, its end, one group row per group).
 */
export const USER_GROUPS_COLUMN = `(SELECT json_group_array(json_array(g.id, g.display_name))
  FROM memberships m CROSS JOIN groups g ON g.tenant_id = m.tenant_id AND g.id = m.group_id
  WHERE m.tenant_id = t.tenant_id AND m.user_id = t.id) AS groups_json`;

const usersRow = rowMapper(users);

/** A `users` row as D1 returns it (snake_case), with `groups_json` when selected. */
export function userFromRow(r: Record<string, unknown>): UserRow {
  const row: UserRow = usersRow(r);
  if (typeof r.groups_json === "string") {
    row.groups = (JSON.parse(r.groups_json) as Array<[string, string]>).map(([id, displayName]) => ({ id, displayName }));
  }
  return row;
}

/** Users as the list engine reads them. */
export const usersList: ListTable<UserRow> = { table: "users", counter: "users", fromRow: userFromRow, id: (r) => r.id };

/** The indexed ways to find users (the list engine's sources); keys are given as stored (folded where the column is). */
export const userSources = {
  id: (id: string): ListSource => ({ kind: "column", column: "id", value: id }),
  userNameKey: (key: string): ListSource => ({ kind: "column", column: "user_name_key", value: key }),
  externalId: (id: string): ListSource => ({ kind: "column", column: "external_id", value: id }),
  workEmailKey: (key: string): ListSource => ({ kind: "column", column: "work_email_key", value: key }),
  /** The direct members of a group: the memberships primary key (tenant_id, group_id, user_id), a page at a time, never the tenant. */
  memberOf: (groupId: string): ListSource => ({
    kind: "range",
    range: { from: "memberships", where: "tenant_id = ?1 AND group_id = ?2", key: "user_id" },
    value: groupId,
  }),
};

/** Indexed orders of users. */
export const userSortColumns = { id: "id", userNameKey: "user_name_key", externalId: "external_id" } as const;

/** The read of one user of the tenant; with `withGroups`, its direct groups in the same statement. */
export function userStatement(rd: RequestDatabase, tenantId: string, id: string, withGroups = false): D1PreparedStatement {
  return rd.d1
    .prepare(`SELECT t.*${withGroups ? `, ${USER_GROUPS_COLUMN}` : ""} FROM users t WHERE t.tenant_id = ?1 AND t.id = ?2`)
    .bind(tenantId, id);
}

export async function getUser(rd: RequestDatabase, tenantId: string, id: string, withGroups = false): Promise<UserRow | undefined> {
  const row = await userStatement(rd, tenantId, id, withGroups).first<Record<string, unknown>>();
  return row ? userFromRow(row) : undefined;
}

/** Direct groups of each user: one statement for a whole page of users. */
export async function groupsOfUsers(
  rd: RequestDatabase,
  tenantId: string,
  userIds: string[],
): Promise<Map<string, GroupRef[]>> {
  const byUser = new Map<string, GroupRef[]>();
  if (userIds.length === 0) return byUser;
  const stmt =
    userIds.length === 1
      ? rd.d1
          .prepare(
            `SELECT m.user_id AS user_id, g.id AS group_id, g.display_name AS display_name
             FROM memberships m CROSS JOIN groups g ON g.tenant_id = m.tenant_id AND g.id = m.group_id
             WHERE m.tenant_id = ?1 AND m.user_id = ?2`,
          )
          .bind(tenantId, userIds[0])
      : rd.d1
          .prepare(
            `SELECT m.user_id AS user_id, g.id AS group_id, g.display_name AS display_name
             FROM json_each(?2) j CROSS JOIN memberships m ON m.tenant_id = ?1 AND m.user_id = j.value
             CROSS JOIN groups g ON g.tenant_id = m.tenant_id AND g.id = m.group_id`,
          )
          .bind(tenantId, JSON.stringify(userIds));
  const { results } = await stmt.all<{ user_id: string; group_id: string; display_name: string }>();
  for (const r of results) {
    const list = byUser.get(r.user_id) ?? [];
    list.push({ id: r.group_id, displayName: r.display_name });
    byUser.set(r.user_id, list);
  }
  return byUser;
}

function columns(doc: UserDoc, keys: UserKeys) {
  return {
    userName: String(doc.userName),
    userNameKey: keys.userNameKey,
    externalId: keys.externalId,
    workEmailKey: keys.workEmailKey,
    displayName: keys.displayName,
    active: keys.active,
    doc: JSON.stringify(doc),
  };
}

/** POST: the row and the counters in one batch; a userName clash (also a racing create) → UserNameTaken. */
/** A user as an event's `data.resource` shows it: its id and stored document. */
function resourceOf(id: string, doc: UserDoc): Record<string, unknown> {
  return { id, ...doc };
}

export async function createUser(rd: RequestDatabase, origin: EventOrigin, doc: UserDoc, keys: UserKeys): Promise<UserRow> {
  const { tenantId, now } = origin;
  const row: UserRow = {
    tenantId,
    id: newResourceId(now),
    ...columns(doc, keys),
    createdAt: now,
    lastModified: now,
    etag: newETagToken(),
  };
  try {
    await guardedBatch(rd, tenantId, [
      rd.d1
        .prepare(
          `INSERT INTO users (tenant_id, id, user_name, user_name_key, external_id, work_email_key, display_name, active, doc, created_at, last_modified, etag)
           VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10, ?11)`,
        )
        .bind(tenantId, row.id, row.userName, row.userNameKey, row.externalId, row.workEmailKey, row.displayName, row.active ? 1 : 0, row.doc, now, row.etag),
      rd.d1
        .prepare(`UPDATE tenant_stats SET users = users + 1, active_users = active_users + ?2 WHERE tenant_id = ?1`)
        .bind(tenantId, row.active ? 1 : 0),
      eventStatement(rd.d1, origin, { type: "user.created", resourceId: row.id, externalId: row.externalId, data: { resource: resourceOf(row.id, doc) } }),
    ]);
  } catch (err) {
    if (isUniqueViolation(err)) throw new UserNameTaken();
    throw err;
  }
  // `groups` is read-only (RFC 7643 §4.1.2): a new user is in none.
  return { ...row, groups: [] };
}

export type ReplaceOutcome = { kind: "updated"; row: UserRow } | { kind: "lostRace" };

/**
 * PUT and PATCH: writes the new doc only if the row still has the etag we
 * read (optimistic concurrency; D1 has no interactive transactions). The
 * statement after the guarded UPDATE aborts the batch when it matched
 * nothing (write-guard.ts), so a lost race — or a user deleted meanwhile —
 * changes nothing: no counter, no licence transition. The caller re-reads.
 * A change of `active` moves the counters and the licence in the same batch.
 */
export async function replaceUser(
  rd: RequestDatabase,
  current: UserRow,
  doc: UserDoc,
  keys: UserKeys,
  origin: EventOrigin,
  /** The attributes whose values changed (RFC 7643 names; extension ones as "<urn>:<name>"), for the user.updated event. */
  changedAttributes: string[],
): Promise<ReplaceOutcome> {
  const now = origin.now;
  const etag = newETagToken();
  const cols = columns(doc, keys);
  const tenantId = current.tenantId;
  const stmts: D1PreparedStatement[] = [
    rd.d1
      .prepare(
        `UPDATE users SET user_name = ?3, user_name_key = ?4, external_id = ?5, work_email_key = ?6, display_name = ?7,
           active = ?8, doc = ?9, last_modified = ?10, etag = ?11
         WHERE tenant_id = ?1 AND id = ?2 AND etag = ?12`,
      )
      .bind(tenantId, current.id, cols.userName, cols.userNameKey, cols.externalId, cols.workEmailKey, cols.displayName, cols.active ? 1 : 0, cols.doc, now, etag, current.etag),
    lostRaceGuard(rd.d1, `user:${current.id}`),
  ];
  if (current.active !== cols.active) {
    const step: LicenceStep = { tenantId, now, nonce: etag, requestId: origin.requestId };
    const ids = JSON.stringify([current.id]);
    stmts.push(
      rd.d1.prepare(`UPDATE tenant_stats SET active_users = active_users + ?2 WHERE tenant_id = ?1`).bind(tenantId, cols.active ? 1 : -1),
      ...(cols.active
        ? grantStatements(rd.d1, step, { kind: "users", idsJson: ids }, { kind: "anyLicensingMembership" })
        : downgradeStatements(rd.d1, step, { kind: "users", idsJson: ids }, { onlyIfNoLicensingGroup: false })),
    );
  }
  // The feed: deactivation / reactivation, and the other attributes that changed.
  const resource = { resource: resourceOf(current.id, doc) };
  if (current.active !== cols.active) {
    stmts.push(eventStatement(rd.d1, origin, { type: cols.active ? "user.reactivated" : "user.deactivated", resourceId: current.id, externalId: keys.externalId, data: resource }));
  }
  const updated = changedAttributes.filter((a) => a !== "active");
  if (updated.length > 0) {
    stmts.push(eventStatement(rd.d1, origin, { type: "user.updated", resourceId: current.id, externalId: keys.externalId, data: { attributes: updated, ...resource } }));
  }
  try {
    await guardedBatch(rd, tenantId, stmts);
  } catch (err) {
    if (isLostRace(err)) return { kind: "lostRace" };
    if (isUniqueViolation(err)) throw new UserNameTaken();
    throw err;
  }
  return { kind: "updated", row: { ...current, ...cols, lastModified: now, etag } };
}

/**
 * DELETE: counters first (computed from the rows about to go), then the
 * user's memberships (bumping each group's version), licence and row.
 * Returns false when there was no such user.
 */
export async function deleteUser(rd: RequestDatabase, origin: EventOrigin, id: string): Promise<boolean> {
  const { tenantId, now } = origin;
  const results = await guardedBatch(rd, tenantId, [
    rd.d1
      .prepare(
        `UPDATE tenant_stats SET
           users = users - 1,
           active_users = active_users - (SELECT active FROM users WHERE tenant_id = ?1 AND id = ?2),
           memberships = memberships - (SELECT count(*) FROM memberships WHERE tenant_id = ?1 AND user_id = ?2)
         WHERE tenant_id = ?1 AND EXISTS (SELECT 1 FROM users WHERE tenant_id = ?1 AND id = ?2)`,
      )
      .bind(tenantId, id),
    rd.d1
      .prepare(
        `UPDATE groups SET etag = lower(hex(randomblob(8))), last_modified = ?3
         WHERE tenant_id = ?1 AND id IN (SELECT group_id FROM memberships WHERE tenant_id = ?1 AND user_id = ?2)`,
      )
      .bind(tenantId, id, now),
    // The feed: the user leaves each of its groups, loses its licence, is deleted.
    eventsFromSelect(
      rd.d1,
      origin,
      `SELECT 'group.member_removed' AS type, g.id AS resource_id, g.external_id AS external_id,
              json_object('groupId', g.id, 'userId', m.user_id) AS data, g.id AS ord
       FROM memberships m CROSS JOIN groups g ON g.tenant_id = m.tenant_id AND g.id = m.group_id
       WHERE m.tenant_id = ?1 AND m.user_id = ?4`,
      [id],
    ),
    rd.d1.prepare(`DELETE FROM memberships WHERE tenant_id = ?1 AND user_id = ?2`).bind(tenantId, id),
    ...deleteUserLicenceStatements(rd.d1, origin, id),
    eventsFromSelect(
      rd.d1,
      origin,
      `SELECT 'user.deleted' AS type, id AS resource_id, external_id, json_object('id', id) AS data, 0 AS ord FROM users WHERE tenant_id = ?1 AND id = ?4`,
      [id],
    ),
    rd.d1.prepare(`DELETE FROM users WHERE tenant_id = ?1 AND id = ?2`).bind(tenantId, id),
  ]);
  return (results[results.length - 1]?.meta.changes ?? 0) > 0;
}
