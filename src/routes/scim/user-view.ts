import type { Context } from "hono";
import type { AppEnv } from "../../context.js";
import type { UserRow } from "../../provisioning/users.js";
import { project, type AttributeQuery } from "../../scim/projection.js";
import { renderUser, weakETag, type UserDoc } from "../../scim/resources/index.js";
import type { ResourceDefinition } from "../../scim/schema/index.js";
import { tenantBaseUrl } from "./tenant-url.js";
import { dateTime } from "../../scim/data-types.js";


/** Whether the response shows `groups` (returned by default, RFC 7643 §4.1.2). */
export function wantsGroups(projection: AttributeQuery): boolean {
  return (
    !projection.excludedAttributes?.some((a) => a.toLowerCase() === "groups") &&
    (!projection.attributes || projection.attributes.some((a) => a.toLowerCase().startsWith("groups")))
  );
}

/** The SCIM view of stored rows, with the direct `groups` they were read with. */
export function renderUsers(c: Context<AppEnv>, rows: UserRow[], def: ResourceDefinition, projection: AttributeQuery): Record<string, unknown>[] {
  const base = tenantBaseUrl(c);
  return rows.map((row) => {
    const refs = (row.groups ?? []).map((g) => ({ value: g.id, $ref: `${base}/Groups/${g.id}`, display: g.displayName, type: "direct" as const }));
    const resource = renderUser(
      JSON.parse(row.doc) as UserDoc,
      { id: row.id, created: dateTime(row.createdAt), lastModified: dateTime(row.lastModified), version: weakETag(row.etag), location: `${base}/Users/${row.id}` },
      refs,
      def,
    );
    return project(resource, def, projection);
  });
}
