import { Hono, type Context } from "hono";
import type { AppEnv } from "../../context.js";
import { ScimError } from "../../scim/errors.js";
import { listResponse } from "../../scim/list-response.js";
import { applyPatch, foldMemberOperations, parsePatchRequest, type MemberDelta } from "../../scim/patch/index.js";
import { groupKeys, parseGroupResource, sameDoc, validateGroupDoc, weakETag, withStoredLicence, type GroupDoc } from "../../scim/resources/index.js";
import { resourceDefinitions } from "../../scim/schema/index.js";
import {
  createGroup,
  deleteGroup,
  DisplayNameTaken,
  getGroup,
  GroupNotFound,
  UnknownMembers,
  writeGroup,
  type GroupChange,
  type GroupRow,
} from "../../storage/groups.js";
import type { LicenceStep } from "../../licence/transitions.js";
import { listRows, type ListTable } from "../../storage/listing.js";
import { checkIfMatch } from "./conditional.js";
import { LOST_RACE, retryLostRaces } from "./optimistic-write.js";
import { filterableGroup, renderGroups, streamGroup } from "./group-view.js";
import { parseListQuery, projectionOf, searchRequestParameters, type RawListParameters } from "./list-query.js";
import { readScimBody, scimJson } from "./scim-json.js";
import { tenantBaseUrl } from "./tenant-url.js";

export const groupsTable: ListTable<GroupRow> = {
  table: "groups",
  counter: "groups",
  seekColumns: {
    id: { column: "id", fold: false },
    displayName: { column: "display_name_key", fold: true },
    externalId: { column: "external_id", fold: false },
  },
  seekSql: {
    // The groups of a user: Entra's and Okta's `members[value eq "<userId>"]`, through the membership user index.
    memberValue: `SELECT g.* FROM memberships m CROSS JOIN groups g ON g.tenant_id = m.tenant_id AND g.id = m.group_id
                  WHERE m.tenant_id = ?1 AND m.user_id = ?2 ORDER BY g.id`,
  },
  sortColumns: { id: "id", "meta.created": "id", displayname: "display_name_key", externalid: "external_id" },
  fromRow: (r) => ({
    tenantId: r.tenant_id as string,
    id: r.id as string,
    displayName: r.display_name as string,
    displayNameKey: r.display_name_key as string,
    externalId: (r.external_id as string | null) ?? null,
    licensing: r.licensing === 1 || r.licensing === true,
    doc: r.doc as string,
    memberDelta: r.member_delta as number,
    createdAt: r.created_at as number,
    lastModified: r.last_modified as number,
    etag: r.etag as string,
  }),
  filterable: filterableGroup,
  id: (r) => r.id,
};

async function list(c: Context<AppEnv>, raw: RawListParameters): Promise<Response> {
  const def = resourceDefinitions(c.get("config")).group;
  // Members are not in the stored doc: parseListQuery answers members[value eq] by seek, refuses other member filters.
  const query = parseListQuery(raw, def);
  const rd = c.get("database");
  const { total, rows } = await listRows(rd, groupsTable, c.get("tenantId"), query);
  return scimJson(c, listResponse(await renderGroups(c, rd, rows, def, query.projection), total, query.startIndex));
}

/** The licence context of a group write: no read, the grace is looked up inside the SQL that needs it. */
function licenceStep(c: Context<AppEnv>, nonce: string): LicenceStep {
  return { tenantId: c.get("tenantId"), now: Date.now(), nonce };
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

/**
 * PATCH and PUT: attribute changes go through the etag-guarded row update
 * (optimistic-write.ts: a lost race changes nothing, and the loop re-reads
 * and recomputes); member changes are a delta. A member-only PATCH (Entra's
 * usual) reads nothing before its batch and cannot lose a race.
 */
async function write(
  c: Context<AppEnv>,
  compute: ((current: GroupDoc) => GroupDoc) | undefined,
  delta: MemberDelta | undefined,
  respond: (row: GroupRow | undefined, etag: string) => Promise<Response> | Response,
): Promise<Response> {
  const def = resourceDefinitions(c.get("config")).group;
  const config = c.get("config");
  const rd = c.get("database");
  const tenantId = c.get("tenantId");
  const id = c.req.param("id") ?? "";
  const needsRow = compute !== undefined || c.req.header("if-match") !== undefined;
  return retryLostRaces(c, async () => {
    let change: GroupChange | undefined;
    let current: GroupRow | undefined;
    if (needsRow) {
      current = await getGroup(rd, tenantId, id);
      if (!current) throw ScimError.notFound(`Group ${id} not found.`);
      checkIfMatch(c, current.etag);
      if (compute) {
        const currentDoc = JSON.parse(current.doc) as GroupDoc;
        const { doc } = validateGroupDoc(compute(currentDoc), def, config);
        if (!sameDoc(doc, currentDoc)) {
          // An absent licence value keeps the group's licence (groupKeys).
          const keys = groupKeys(doc, config, current.licensing);
          change = { current, doc, keys: { ...keys, licensing: keys.licensing ?? current.licensing } };
        }
      }
    }
    if (!change && !delta) return respond(current, current?.etag ?? "");
    const step = licenceStep(c, crypto.randomUUID());
    try {
      const outcome = await writeGroup(rd, step, id, change, delta);
      if (outcome.kind === "gone") throw ScimError.notFound(`Group ${id} not found.`);
      if (outcome.kind === "lostRace") return LOST_RACE;
      return respond(undefined, outcome.etag);
    } catch (err) {
      throw translate(err, change?.doc.displayName);
    }
  });
}

/** /Groups (RFC 7644 §3.3–§3.6). `/.search` is registered before `/:id`. */
export function groupRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/", (c) => list(c, c.req.query()));
  app.post("/.search", async (c) => list(c, searchRequestParameters(await readScimBody(c))));

  app.post("/", async (c) => {
    const def = resourceDefinitions(c.get("config")).group;
    const parsed = parseGroupResource(await readScimBody(c), def, c.get("config"));
    const step = licenceStep(c, crypto.randomUUID());
    let row: GroupRow;
    try {
      row = await createGroup(c.get("database"), step, parsed.doc, groupKeys(parsed.doc, c.get("config")), parsed.members ?? []);
    } catch (err) {
      throw translate(err, parsed.doc.displayName);
    }
    return streamGroup(c, c.get("database"), row, def, projectionOf(c), 201, { Location: `${tenantBaseUrl(c)}/Groups/${row.id}` });
  });

  app.get("/:id", async (c) => {
    const def = resourceDefinitions(c.get("config")).group;
    const row = await getGroup(c.get("database"), c.get("tenantId"), c.req.param("id"));
    if (!row) throw ScimError.notFound(`Group ${c.req.param("id")} not found.`);
    return streamGroup(c, c.get("database"), row, def, projectionOf(c));
  });

  app.put("/:id", async (c) => {
    const def = resourceDefinitions(c.get("config")).group;
    const parsed = parseGroupResource(await readScimBody(c), def, c.get("config"));
    // RFC 7644 §3.5.1: PUT replaces the member list too (omitted = none).
    const delta: MemberDelta = { replaceAll: true, add: parsed.members ?? [], remove: [] };
    return write(c, (current) => withStoredLicence(parsed.doc, current, c.get("config")), delta, async () => {
      const row = await getGroup(c.get("database"), c.get("tenantId"), c.req.param("id"));
      if (!row) throw ScimError.notFound(`Group ${c.req.param("id")} not found.`);
      return streamGroup(c, c.get("database"), row, def, projectionOf(c));
    });
  });

  app.patch("/:id", async (c) => {
    const def = resourceDefinitions(c.get("config")).group;
    const ops = parsePatchRequest(await readScimBody(c));
    const { memberOps, otherOps } = foldMemberOperations(ops);
    const compute = otherOps.length > 0 ? (doc: GroupDoc) => applyPatch(doc, otherOps, def) as GroupDoc : undefined;
    // Entra expects 204 for group PATCH ("returning all the members isn't advisable", MS-SCIM).
    return write(c, compute, memberOps, (_row, etag) => c.body(null, 204, etag ? { ETag: weakETag(etag) } : {}));
  });

  app.delete("/:id", async (c) => {
    const id = c.req.param("id");
    if (c.req.header("if-match") !== undefined) {
      const row = await getGroup(c.get("database"), c.get("tenantId"), id);
      if (!row) throw ScimError.notFound(`Group ${id} not found.`);
      checkIfMatch(c, row.etag);
    }
    if (!(await deleteGroup(c.get("database"), licenceStep(c, crypto.randomUUID()), id))) {
      throw ScimError.notFound(`Group ${id} not found.`);
    }
    return c.body(null, 204);
  });

  return app;
}
