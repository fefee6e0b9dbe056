/**
 * Users as the SCIM routes provision them: the tenant policy, the manager
 * reference, the read–compute–guarded-write loop and the licence transitions
 * a change of `active` causes, each write composed into one D1 batch by
 * src/storage/users.ts. Routes parse, call one function here, render.
 */
import { ScimError } from "../scim/errors.js";
import type { ListQuery } from "../scim/list-query.js";
import { applyPatch, type PatchOperation } from "../scim/patch/index.js";
import {
  applyTenantPolicy,
  changedAttributes,
  checkIfMatch,
  managerDisplayNameOf,
  managerIdOf,
  sameDoc,
  userKeys,
  validateUserDoc,
  withManagerDisplayName,
  type UserDoc,
} from "../scim/resources/index.js";
import { resourceDefinitions, type ResourceDefinition } from "../scim/schema/index.js";
import { loadTenantPolicy, tenantPolicyFrom, tenantPolicyStatement } from "../storage/tenants.js";
import * as store from "../storage/users.js";
import { UserNameTaken, type UserRow } from "../storage/users.js";
import { originOf, type ProvisioningContext } from "./context.js";
import { filterableView, folded, runList, type ListSpec } from "./list-plan.js";
import { LOST_RACE, retryLostRaces } from "./optimistic-write.js";

export type { UserRow } from "../storage/users.js";


/** The view the filter engine evaluates (RFC 7643 §3.1). */
export const filterableUser = filterableView("User");

const USER_LISTING: ListSpec<UserRow> = {
  sources: {
    id: store.userSources.id,
    userName: folded(store.userSources.userNameKey),
    externalId: store.userSources.externalId,
    workEmail: folded(store.userSources.workEmailKey),
    groupValue: store.userSources.memberOf,
  },
  sortColumns: {
    id: store.userSortColumns.id,
    "meta.created": store.userSortColumns.id,
    username: store.userSortColumns.userNameKey,
    externalid: store.userSortColumns.externalId,
  },
  filterable: filterableUser,
  advice: {
    resources: "users",
    seeks: 'id, userName, externalId or emails[type eq "work"].value eq "…"',
    unique: "id or userName",
    membership: 'groups.value eq "<groupId>"',
    sorts: "id, userName, externalId or meta.created",
  },
};

function userDefinition(ctx: ProvisioningContext): ResourceDefinition {
  return resourceDefinitions(ctx.config).user;
}

function missingTenant(): ScimError {
  return new ScimError(401, "Authentication failed: a valid bearer token for this tenant is required.");
}

function uniqueness(userName: unknown): ScimError {
  return ScimError.uniqueness(`A user with userName "${String(userName)}" already exists in this tenant.`);
}

function notFound(id: string): ScimError {
  return ScimError.notFound(`User ${id} not found.`);
}

/** Users with their direct groups when `withGroups` (rows read without them get them in one statement). */
async function withGroupsOf(ctx: ProvisioningContext, rows: UserRow[], withGroups: boolean): Promise<UserRow[]> {
  if (!withGroups) return rows;
  const missing = rows.filter((r) => !r.groups).map((r) => r.id);
  const fetched = await store.groupsOfUsers(ctx.rd, ctx.tenantId, missing);
  return rows.map((r) => (r.groups ? r : { ...r, groups: fetched.get(r.id) ?? [] }));
}

export async function getUser(ctx: ProvisioningContext, id: string, withGroups: boolean): Promise<UserRow> {
  const row = await store.getUser(ctx.rd, ctx.tenantId, id, withGroups);
  if (!row) throw notFound(id);
  return row;
}

/** GET /Users and POST /Users/.search (RFC 7644 §3.4.2, §3.4.3). */
export async function listUsers(ctx: ProvisioningContext, query: ListQuery, withGroups: boolean): Promise<{ total: number; rows: UserRow[] }> {
  const { total, rows } = await runList(ctx, store.usersList, query, USER_LISTING, withGroups ? store.USER_GROUPS_COLUMN : undefined);
  return { total, rows: await withGroupsOf(ctx, rows, withGroups) };
}

/**
 * RFC 7643 §4.3: `manager.value` is the id of a user — of this tenant: an id
 * from another tenant, or no user at all, is 400. `manager.displayName` is
 * readOnly and comes from that user, read when the manager is set or changed
 * (kept as stored while the manager stays the same).
 */
async function resolveManager(ctx: ProvisioningContext, doc: UserDoc, previous: UserDoc | undefined): Promise<UserDoc> {
  const managerId = managerIdOf(doc);
  if (managerId === undefined) return doc;
  if (previous !== undefined && managerIdOf(previous) === managerId) return withManagerDisplayName(doc, managerDisplayNameOf(previous));
  const manager = await store.getUser(ctx.rd, ctx.tenantId, managerId);
  if (!manager) throw ScimError.invalidValue(`manager.value "${managerId}" is not a user of this tenant.`);
  return withManagerDisplayName(doc, manager.displayName);
}

/** POST /Users (RFC 7644 §3.3): `parsed` is the body as parseUserResource read it. */
export async function createUser(ctx: ProvisioningContext, parsed: UserDoc): Promise<UserRow> {
  const policy = await loadTenantPolicy(ctx.rd.d1, ctx.tenantId);
  if (!policy) throw missingTenant();
  const doc = await resolveManager(ctx, applyTenantPolicy(parsed, policy, ctx.config), undefined);
  try {
    return await store.createUser(ctx.rd, originOf(ctx), doc, userKeys(doc));
  } catch (err) {
    if (err instanceof UserNameTaken) throw uniqueness(doc.userName);
    throw err;
  }
}

/**
 * PUT and PATCH share one loop (optimistic-write.ts): read, compute the new
 * doc, write guarded by the etag read; a lost race changes nothing and the
 * loop re-reads and recomputes. The tenant policy judges only the values the
 * request changes, so disabling a user is never refused by it.
 */
async function rewrite(
  ctx: ProvisioningContext,
  id: string,
  withGroups: boolean,
  next: (current: UserDoc, def: ResourceDefinition) => UserDoc,
): Promise<UserRow> {
  const def = userDefinition(ctx);
  const { rd, tenantId } = ctx;
  // The policy and the first read of the user: one round trip. groups are
  // read-only here (RFC 7643 §4.1.2): the response shows those read now.
  const [policyResult, firstRead] = await rd.d1.batch<Record<string, unknown>>([
    tenantPolicyStatement(rd.d1, tenantId),
    store.userStatement(rd, tenantId, id, withGroups),
  ]);
  const policy = tenantPolicyFrom(policyResult?.results[0]);
  if (!policy) throw missingTenant();
  return retryLostRaces(ctx, async (attempt) => {
    const raw = attempt === 0 ? firstRead?.results[0] : await store.userStatement(rd, tenantId, id, withGroups).first<Record<string, unknown>>();
    const row = raw ? store.userFromRow(raw) : undefined;
    if (!row) throw notFound(id);
    checkIfMatch(ctx.ifMatch, row.etag);
    const currentDoc = JSON.parse(row.doc) as UserDoc;
    const computed = applyTenantPolicy(validateUserDoc(next(currentDoc, def), def), policy, ctx.config, currentDoc);
    const doc = await resolveManager(ctx, computed, currentDoc);
    // A write that changes nothing leaves version and lastModified alone (RFC 7644 §3.14).
    if (sameDoc(doc, currentDoc)) return row;
    try {
      const outcome = await store.replaceUser(rd, row, doc, userKeys(doc), originOf(ctx), changedAttributes(currentDoc, doc));
      return outcome.kind === "updated" ? outcome.row : LOST_RACE;
    } catch (err) {
      if (err instanceof UserNameTaken) throw uniqueness(doc.userName);
      throw err;
    }
  }).then((row) => withGroupsOf(ctx, [row], withGroups).then(([r]) => r ?? row));
}

/**
 * PUT /Users/{id} (RFC 7644 §3.5.1). Without `active` the stored value is
 * kept (§3.5.1 leaves omitted attributes to the server): a PUT must not
 * reactivate a disabled user and grant a licence.
 */
export function replaceUser(ctx: ProvisioningContext, id: string, replacement: UserDoc, withGroups: boolean): Promise<UserRow> {
  return rewrite(ctx, id, withGroups, (current) =>
    "active" in replacement || !("active" in current) ? replacement : { ...replacement, active: current["active"] as boolean },
  );
}

/** PATCH /Users/{id} (RFC 7644 §3.5.2): the operations in order, on the stored doc. */
export function patchUser(ctx: ProvisioningContext, id: string, ops: PatchOperation[], withGroups: boolean): Promise<UserRow> {
  return rewrite(ctx, id, withGroups, (current, def) => applyPatch(current, ops, def) as UserDoc);
}

/** DELETE /Users/{id} (RFC 7644 §3.6): memberships, licence and counters go in the same batch. */
export async function deleteUser(ctx: ProvisioningContext, id: string): Promise<void> {
  if (ctx.ifMatch !== undefined) checkIfMatch(ctx.ifMatch, (await getUser(ctx, id, false)).etag);
  if (!(await store.deleteUser(ctx.rd, originOf(ctx), id))) throw notFound(id);
}
