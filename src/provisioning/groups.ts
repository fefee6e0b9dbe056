/**
 * Groups as the SCIM routes provision them: the read–compute–guarded-write
 * loop for attribute changes, member deltas, and the licence decision of a
 * group write (the licence value kept when absent, the tenant's
 * licenceWhenAbsent on create; the order of row, delta and licence flip is
 * src/storage/groups.ts's writeGroup), each write one D1 batch. Routes
 * parse, call one function here, render.
 */
import type { LicenceStep } from "../licence/transitions.js";
import { ScimError } from "../scim/errors.js";
import type { ListQuery } from "../scim/list-query.js";
import { applyPatch, foldMemberOperations, type MemberDelta, type PatchOperation } from "../scim/patch/index.js";
import {
  changedAttributes,
  checkIfMatch,
  groupKeys,
  sameDoc,
  validateGroupDoc,
  withStoredLicence,
  type GroupDoc,
  type ParsedGroup,
} from "../scim/resources/index.js";
import { resourceDefinitions } from "../scim/schema/index.js";
import * as store from "../storage/groups.js";
import { DisplayNameTaken, GroupNotFound, UnknownMembers, type GroupChange, type GroupRow } from "../storage/groups.js";
import { originOf, type ProvisioningContext } from "./context.js";
import { filterableView, folded, runList, type ListSpec } from "./list-plan.js";
import { LOST_RACE, retryLostRaces } from "./optimistic-write.js";

export type { GroupRow } from "../storage/groups.js";

/** A member as a group's `members` shows it. */
export interface GroupMember {
  id: string;
  display: string | null;
}


/** The view the filter engine evaluates (RFC 7643 §3.1). */
export const filterableGroup = filterableView("Group");

const GROUP_LISTING: ListSpec<GroupRow> = {
  sources: {
    id: store.groupSources.id,
    displayName: folded(store.groupSources.displayNameKey),
    externalId: store.groupSources.externalId,
    memberValue: store.groupSources.withMember,
  },
  sortColumns: {
    id: store.groupSortColumns.id,
    "meta.created": store.groupSortColumns.id,
    displayname: store.groupSortColumns.displayNameKey,
    externalid: store.groupSortColumns.externalId,
  },
  filterable: filterableGroup,
  advice: {
    resources: "groups",
    seeks: "id, displayName or externalId eq \"…\"",
    unique: "id or displayName",
    membership: 'members[value eq "<userId>"]',
    sorts: "id, displayName, externalId or meta.created",
  },
};

/** The licence context of a group write: no read, the grace is looked up inside the SQL that needs it. */
function licenceStep(ctx: ProvisioningContext): LicenceStep {
  return { ...originOf(ctx), nonce: crypto.randomUUID() };
}

function notFound(id: string): ScimError {
  return ScimError.notFound(`Group ${id} not found.`);
}

function translate(err: unknown, displayName?: unknown): unknown {
  if (err instanceof DisplayNameTaken) return ScimError.uniqueness(`A group named "${String(displayName)}" already exists in this tenant.`);
  if (err instanceof UnknownMembers) {
    const shown = err.ids.slice(0, 20).join(", ") + (err.ids.length > 20 ? `, … (${err.ids.length} in all)` : "");
    return ScimError.invalidValue(`Members must be users of this tenant; unknown: ${shown}. Nothing was applied.`);
  }
  if (err instanceof GroupNotFound) return ScimError.notFound("Group not found.");
  return err;
}

export async function getGroup(ctx: ProvisioningContext, id: string): Promise<GroupRow> {
  const row = await store.getGroup(ctx.rd, ctx.tenantId, id);
  if (!row) throw notFound(id);
  return row;
}

/**
 * Members per statement of a streamed group: GET /Groups/{id} is answered in
 * full (RFC 7644 has no paging inside a resource), one statement per
 * MEMBER_STREAM_PAGE members — 21 for 100,000, 201 for 1,000,000, under D1's
 * 1,000 queries per invocation.
 */
export const MEMBER_STREAM_PAGE = 5_000;

/** A group's members, a page at a time in user-id order (keyset), for a streamed response. */
export async function* memberPages(ctx: ProvisioningContext, groupId: string): AsyncGenerator<GroupMember[]> {
  for (let after = ""; ; ) {
    const page = await store.memberPage(ctx.rd, ctx.tenantId, groupId, after, MEMBER_STREAM_PAGE);
    if (page.length > 0) yield page;
    if (page.length < MEMBER_STREAM_PAGE) return;
    after = page[page.length - 1]?.id ?? after;
  }
}

/**
 * Member references one list page may expand (GET /Groups without
 * excludedAttributes): about 2 rows each (membership entry, user row), so a
 * page reads about 10,000 rows at most, as any list (storage LIST_LIMITS).
 */
export const MAX_LISTED_MEMBERS = 5_000;

/**
 * GET /Groups and POST /Groups/.search (RFC 7644 §3.4.2). Members are not
 * in the stored doc: parseListQuery answers members[value eq] by seek and
 * refuses other member filters. Entra lists with excludedAttributes=members,
 * which reads none. With `withMembers`, the page's members are read in one
 * statement, at most MAX_LISTED_MEMBERS: the page ends before the first
 * group whose members do not all fit — fewer results than `count`, which
 * RFC 7644 §3.4.2.4 allows (itemsPerPage says how many; the next page starts
 * there). A first group that alone has more is 400 tooMany naming how to
 * read it instead.
 */
export async function listGroups(
  ctx: ProvisioningContext,
  query: ListQuery,
  withMembers: boolean,
): Promise<{ total: number; groups: Array<{ row: GroupRow; members?: GroupMember[] }> }> {
  const { total, rows } = await runList(ctx, store.groupsList, query, GROUP_LISTING);
  if (!withMembers) return { total, groups: rows.map((row) => ({ row })) };
  const refs = await store.membersOfGroups(ctx.rd, ctx.tenantId, rows.map((r) => r.id), MAX_LISTED_MEMBERS + 1);
  const byGroup = new Map<string, GroupMember[]>(rows.map((r) => [r.id, []]));
  const position = new Map(rows.map((r, i) => [r.id, i]));
  let last = 0;
  for (const ref of refs) {
    const at = position.get(ref.groupId) ?? -1;
    // The cut below relies on it: a plan that interleaved groups would make it wrong, so it is an error, not a page.
    if (at < last) throw new Error("membersOfGroups returned the groups out of page order");
    last = at;
    byGroup.get(ref.groupId)?.push({ id: ref.id, display: ref.display });
  }
  let complete = rows.length;
  if (refs.length > MAX_LISTED_MEMBERS) {
    // Rows come group after group in page order: the last group read may be cut, the ones after it were not read.
    const cut = rows.findIndex((r) => r.id === refs[refs.length - 1]?.groupId);
    complete = cut < 0 ? 0 : cut;
    if (complete === 0) {
      const first = rows[0]?.id ?? "";
      throw ScimError.badRequest(
        "tooMany",
        `Group ${first} has more than ${MAX_LISTED_MEMBERS.toLocaleString("en-US")} members, more than a list page expands. List groups with excludedAttributes=members, and read this group's members with GET /Groups/${first} (streamed in full) or GET /Users?filter=groups.value eq "${first}" (paged).`,
      );
    }
  }
  const groups = rows.slice(0, complete).map((row) => ({ row, members: (byGroup.get(row.id) ?? []).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)) }));
  return { total, groups };
}

/** POST /Groups (RFC 7644 §3.3). */
export async function createGroup(ctx: ProvisioningContext, parsed: ParsedGroup): Promise<GroupRow> {
  try {
    return await store.createGroup(ctx.rd, licenceStep(ctx), parsed.doc, groupKeys(parsed.doc, ctx.config), parsed.members ?? []);
  } catch (err) {
    throw translate(err, parsed.doc.displayName);
  }
}

/**
 * PATCH and PUT: attribute changes go through the etag-guarded row update
 * (optimistic-write.ts: a lost race changes nothing, and the loop re-reads
 * and recomputes); member changes are a delta. A member-only PATCH (Entra's
 * usual) reads nothing before its batch and cannot lose a race. Answers the
 * group's version after the write.
 */
async function write(
  ctx: ProvisioningContext,
  id: string,
  compute: ((current: GroupDoc) => GroupDoc) | undefined,
  delta: MemberDelta | undefined,
): Promise<string> {
  const def = resourceDefinitions(ctx.config).group;
  const needsRow = compute !== undefined || ctx.ifMatch !== undefined;
  return retryLostRaces(ctx, async () => {
    let change: GroupChange | undefined;
    let current: GroupRow | undefined;
    if (needsRow) {
      current = await getGroup(ctx, id);
      checkIfMatch(ctx.ifMatch, current.etag);
      if (compute) {
        const currentDoc = JSON.parse(current.doc) as GroupDoc;
        const { doc } = validateGroupDoc(compute(currentDoc), def, ctx.config);
        if (!sameDoc(doc, currentDoc)) {
          // An absent licence value keeps the group's licence (groupKeys).
          const keys = groupKeys(doc, ctx.config, current.licensing);
          change = { current, doc, keys: { ...keys, licensing: keys.licensing ?? current.licensing }, changedAttributes: changedAttributes(currentDoc, doc) };
        }
      }
    }
    if (!change && !delta) return current?.etag ?? "";
    try {
      const outcome = await store.writeGroup(ctx.rd, licenceStep(ctx), id, change, delta);
      if (outcome.kind === "gone") throw notFound(id);
      if (outcome.kind === "lostRace") return LOST_RACE;
      return outcome.etag;
    } catch (err) {
      throw translate(err, change?.doc.displayName);
    }
  });
}

/** PUT /Groups/{id} (RFC 7644 §3.5.1): attributes and the whole member list (omitted = none); answers the group as stored. */
export async function replaceGroup(ctx: ProvisioningContext, id: string, parsed: ParsedGroup): Promise<GroupRow> {
  const delta: MemberDelta = { replaceAll: true, add: parsed.members ?? [], remove: [] };
  await write(ctx, id, (current) => withStoredLicence(parsed.doc, current, ctx.config), delta);
  return getGroup(ctx, id);
}

/**
 * PATCH /Groups/{id} (RFC 7644 §3.5.2): member operations fold into one
 * delta, the others apply to the doc in order. Answers the new version.
 */
export function patchGroup(ctx: ProvisioningContext, id: string, ops: PatchOperation[]): Promise<string> {
  const def = resourceDefinitions(ctx.config).group;
  const { memberOps, otherOps } = foldMemberOperations(ops);
  const compute = otherOps.length > 0 ? (doc: GroupDoc) => applyPatch(doc, otherOps, def) as GroupDoc : undefined;
  return write(ctx, id, compute, memberOps);
}

/** DELETE /Groups/{id} (RFC 7644 §3.6): members who held their licence only through it are downgraded in the same batch. */
export async function deleteGroup(ctx: ProvisioningContext, id: string): Promise<void> {
  if (ctx.ifMatch !== undefined) checkIfMatch(ctx.ifMatch, (await getGroup(ctx, id)).etag);
  if (!(await store.deleteGroup(ctx.rd, licenceStep(ctx), id))) throw notFound(id);
}
