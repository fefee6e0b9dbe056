import { Hono, type Context } from "hono";
import type { AppEnv } from "../../context.js";
import { ScimError } from "../../scim/errors.js";
import { listResponse } from "../../scim/list-response.js";
import { applyPatch, parsePatchRequest } from "../../scim/patch/index.js";
import {
  applyTenantPolicy,
  managerDisplayNameOf,
  managerIdOf,
  parseUserResource,
  sameDoc,
  userKeys,
  validateUserDoc,
  weakETag,
  withManagerDisplayName,
  type UserDoc,
} from "../../scim/resources/index.js";
import { resourceDefinitions, type ResourceDefinition } from "../../scim/schema/index.js";
import { listRows, type ListTable } from "../../storage/listing.js";
import type { RequestDatabase } from "../../storage/database.js";
import { loadTenantPolicy, tenantPolicyFrom, tenantPolicyStatement } from "../../storage/tenants.js";
import {
  createUser,
  deleteUser,
  getUser,
  replaceUser,
  USER_GROUPS_COLUMN,
  userFromRow,
  UserNameTaken,
  userStatement,
  type UserRow,
} from "../../storage/users.js";
import { checkIfMatch } from "./conditional.js";
import { LOST_RACE, retryLostRaces } from "./optimistic-write.js";
import { parseListQuery, projectionOf, searchRequestParameters, type RawListParameters } from "./list-query.js";
import { readScimBody, scimJson } from "./scim-json.js";
import { tenantBaseUrl } from "./tenant-url.js";
import { filterableUser, renderUsers, wantsGroups } from "./user-view.js";

export const usersTable: ListTable<UserRow> = {
  table: "users",
  counter: "users",
  seekColumns: {
    id: { column: "id", fold: false },
    userName: { column: "user_name_key", fold: true },
    externalId: { column: "external_id", fold: false },
    workEmail: { column: "work_email_key", fold: true },
  },
  pagedSeek: {
    // The direct members of a group, `groups.value eq "<groupId>"`: the memberships
    // primary key (tenant_id, group_id, user_id) read a page at a time, never the tenant.
    groupValue: { from: "memberships", where: "tenant_id = ?1 AND group_id = ?2", key: "user_id" },
  },
  sortColumns: { id: "id", "meta.created": "id", username: "user_name_key", externalid: "external_id" },
  fromRow: userFromRow,
  filterable: filterableUser,
  id: (r) => r.id,
};

async function single(c: Context<AppEnv>, row: UserRow, def: ResourceDefinition, status: 200 | 201 = 200): Promise<Response> {
  const [resource] = await renderUsers(c, c.get("database"), [row], def, projectionOf(c));
  const headers: Record<string, string> = { ETag: weakETag(row.etag) };
  if (status === 201) headers.Location = `${tenantBaseUrl(c)}/Users/${row.id}`;
  return scimJson(c, resource, status, headers);
}

async function list(c: Context<AppEnv>, raw: RawListParameters): Promise<Response> {
  const def = resourceDefinitions(c.get("config")).user;
  const query = parseListQuery(raw, def);
  const rd = c.get("database");
  const withGroups = wantsGroups(query.projection) ? USER_GROUPS_COLUMN : undefined;
  const { total, rows } = await listRows(rd, usersTable, c.get("tenantId"), query, withGroups);
  const resources = await renderUsers(c, rd, rows, def, query.projection);
  return scimJson(c, listResponse(resources, total, query.startIndex));
}

function missingTenant(): ScimError {
  return new ScimError(401, "Authentication failed: a valid bearer token for this tenant is required.");
}

function uniqueness(userName: unknown): ScimError {
  return ScimError.uniqueness(`A user with userName "${String(userName)}" already exists in this tenant.`);
}

/**
 * RFC 7643 §4.3: `manager.value` is the id of a user — of this tenant: an id
 * from another tenant, or no user at all, is 400. `manager.displayName` is
 * readOnly and comes from that user, read when the manager is set or changed
 * (kept as stored while the manager stays the same).
 */
async function resolveManager(rd: RequestDatabase, tenantId: string, doc: UserDoc, previous: UserDoc | undefined): Promise<UserDoc> {
  const managerId = managerIdOf(doc);
  if (managerId === undefined) return doc;
  if (previous !== undefined && managerIdOf(previous) === managerId) return withManagerDisplayName(doc, managerDisplayNameOf(previous));
  const manager = await getUser(rd, tenantId, managerId);
  if (!manager) throw ScimError.invalidValue(`manager.value "${managerId}" is not a user of this tenant.`);
  return withManagerDisplayName(doc, manager.displayName);
}

/**
 * PUT and PATCH share one loop (optimistic-write.ts): read, compute the new
 * doc, write guarded by the etag read; a lost race changes nothing and the
 * loop re-reads and recomputes. The tenant policy judges only the values the
 * request changes, so disabling a user is never refused by it.
 */
async function rewrite(c: Context<AppEnv>, next: (current: UserDoc, def: ResourceDefinition) => UserDoc): Promise<Response> {
  const def = resourceDefinitions(c.get("config")).user;
  const rd = c.get("database");
  const tenantId = c.get("tenantId");
  const id = c.req.param("id") ?? "";
  // groups are read-only here (RFC 7643 §4.1.2): the response shows those read now.
  const withGroups = wantsGroups(projectionOf(c));
  // The policy and the first read of the user: one round trip.
  const [policyResult, firstRead] = await rd.d1.batch<Record<string, unknown>>([
    tenantPolicyStatement(rd.d1, tenantId),
    userStatement(rd, tenantId, id, withGroups),
  ]);
  const policy = tenantPolicyFrom(policyResult?.results[0]);
  if (!policy) throw missingTenant();
  return retryLostRaces(c, async (attempt) => {
    const raw = attempt === 0 ? firstRead?.results[0] : await userStatement(rd, tenantId, id, withGroups).first<Record<string, unknown>>();
    const row = raw ? userFromRow(raw) : undefined;
    if (!row) throw ScimError.notFound(`User ${id} not found.`);
    checkIfMatch(c, row.etag);
    const currentDoc = JSON.parse(row.doc) as UserDoc;
    const computed = applyTenantPolicy(validateUserDoc(next(currentDoc, def), def), policy, c.get("config"), currentDoc);
    const doc = await resolveManager(rd, tenantId, computed, currentDoc);
    // A write that changes nothing leaves version and lastModified alone (RFC 7644 §3.14).
    if (sameDoc(doc, currentDoc)) return single(c, row, def);
    try {
      const outcome = await replaceUser(rd, row, doc, userKeys(doc), Date.now());
      return outcome.kind === "updated" ? await single(c, outcome.row, def) : LOST_RACE;
    } catch (err) {
      if (err instanceof UserNameTaken) throw uniqueness(doc.userName);
      throw err;
    }
  });
}

/** /Users (RFC 7644 §3.3, §3.4, §3.5, §3.6). `/.search` is registered before `/:id`. */
export function userRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/", (c) => list(c, c.req.query()));
  app.post("/.search", async (c) => list(c, searchRequestParameters(await readScimBody(c))));

  app.post("/", async (c) => {
    const def = resourceDefinitions(c.get("config")).user;
    const parsed = parseUserResource(await readScimBody(c), def);
    const rd = c.get("database");
    const tenantId = c.get("tenantId");
    const policy = await loadTenantPolicy(rd.d1, tenantId);
    if (!policy) throw missingTenant();
    const doc = await resolveManager(rd, tenantId, applyTenantPolicy(parsed, policy, c.get("config")), undefined);
    try {
      const row = await createUser(c.get("database"), c.get("tenantId"), doc, userKeys(doc), Date.now());
      return await single(c, row, def, 201);
    } catch (err) {
      if (err instanceof UserNameTaken) throw uniqueness(doc.userName);
      throw err;
    }
  });

  app.get("/:id", async (c) => {
    const def = resourceDefinitions(c.get("config")).user;
    const row = await getUser(c.get("database"), c.get("tenantId"), c.req.param("id"), wantsGroups(projectionOf(c)));
    if (!row) throw ScimError.notFound(`User ${c.req.param("id")} not found.`);
    return single(c, row, def);
  });

  app.put("/:id", async (c) => {
    const def = resourceDefinitions(c.get("config")).user;
    // RFC 7644 §3.5.1: PUT replaces; the body is parsed (and userName required) before any read.
    const replacement = parseUserResource(await readScimBody(c), def);
    // A PUT without `active` keeps the stored value (RFC 7644 §3.5.1 leaves
    // omitted attributes to the server): it must not reactivate a disabled
    // user and grant a licence.
    return rewrite(c, (current) => ("active" in replacement || !("active" in current) ? replacement : { ...replacement, active: current["active"] as boolean }));
  });

  app.patch("/:id", async (c) => {
    const ops = parsePatchRequest(await readScimBody(c));
    return rewrite(c, (current, def) => applyPatch(current, ops, def) as UserDoc);
  });

  app.delete("/:id", async (c) => {
    const rd = c.get("database");
    const id = c.req.param("id");
    if (c.req.header("if-match") !== undefined) {
      const row = await getUser(rd, c.get("tenantId"), id);
      if (!row) throw ScimError.notFound(`User ${id} not found.`);
      checkIfMatch(c, row.etag);
    }
    if (!(await deleteUser(rd, c.get("tenantId"), id, Date.now()))) throw ScimError.notFound(`User ${id} not found.`);
    return c.body(null, 204);
  });

  return app;
}
