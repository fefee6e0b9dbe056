import type { Context } from "hono";
import type { AppEnv } from "../../context.js";
import { project, type AttributeQuery } from "../../scim/projection.js";
import { renderUser, weakETag, type UserDoc } from "../../scim/resources/index.js";
import type { ResourceDefinition } from "../../scim/schema/index.js";
import type { RequestDatabase } from "../../storage/database.js";
import { groupsOfUsers, type UserRow } from "../../storage/users.js";
import { tenantBaseUrl } from "./tenant-url.js";

const iso = (ms: number) => new Date(ms).toISOString();

/** Whether the response shows `groups` (returned by default, RFC 7643 §4.1.2). */
export function wantsGroups(projection: AttributeQuery): boolean {
  return (
    !projection.excludedAttributes?.some((a) => a.toLowerCase() === "groups") &&
    (!projection.attributes || projection.attributes.some((a) => a.toLowerCase().startsWith("groups")))
  );
}

/**
 * The SCIM view of stored rows. Their direct `groups` come with the rows
 * (USER_GROUPS_COLUMN) or, for rows read without them, from one statement
 * for the whole page.
 */
export async function renderUsers(
  c: Context<AppEnv>,
  rd: RequestDatabase,
  rows: UserRow[],
  def: ResourceDefinition,
  projection: AttributeQuery,
): Promise<Record<string, unknown>[]> {
  const base = tenantBaseUrl(c);
  const missing = wantsGroups(projection) ? rows.filter((r) => !r.groups).map((r) => r.id) : [];
  const fetched = await groupsOfUsers(rd, c.get("tenantId"), missing);
  return rows.map((row) => {
    const refs = (row.groups ?? fetched.get(row.id) ?? []).map((g) => ({
      value: g.id,
      $ref: `${base}/Groups/${g.id}`,
      display: g.displayName,
      type: "direct" as const,
    }));
    const resource = renderUser(
      JSON.parse(row.doc) as UserDoc,
      { id: row.id, created: iso(row.createdAt), lastModified: iso(row.lastModified), version: weakETag(row.etag), location: `${base}/Users/${row.id}` },
      refs,
      def,
    );
    return project(resource, def, projection);
  });
}

/** The view the filter engine evaluates: the doc plus common attributes (RFC 7643 §3.1). */
export function filterableUser(row: UserRow): Record<string, unknown> {
  return {
    ...(JSON.parse(row.doc) as Record<string, unknown>),
    id: row.id,
    meta: { resourceType: "User", created: iso(row.createdAt), lastModified: iso(row.lastModified), version: weakETag(row.etag) },
  };
}
