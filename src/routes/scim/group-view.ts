import type { Context } from "hono";
import type { AppEnv } from "../../context.js";
import { SCIM_CONTENT_TYPE } from "../../scim/errors.js";
import { isExcluded, project, type AttributeQuery } from "../../scim/projection.js";
import { renderGroup, weakETag, type GroupDoc, type GroupMemberRef } from "../../scim/resources/index.js";
import type { ResourceDefinition } from "../../scim/schema/index.js";
import type { RequestDatabase } from "../../storage/database.js";
import { memberPage, type GroupRow } from "../../storage/groups.js";
import { tenantBaseUrl } from "./tenant-url.js";

const iso = (ms: number) => new Date(ms).toISOString();

function meta(c: Context<AppEnv>, row: GroupRow) {
  return {
    id: row.id,
    created: iso(row.createdAt),
    lastModified: iso(row.lastModified),
    version: weakETag(row.etag),
    location: `${tenantBaseUrl(c)}/Groups/${row.id}`,
  };
}

function memberRef(base: string, m: { id: string; display: string | null }): GroupMemberRef {
  const ref: GroupMemberRef = { value: m.id, $ref: `${base}/Users/${m.id}`, type: "User" };
  if (m.display) ref.display = m.display;
  return ref;
}

export function wantsMembers(projection: AttributeQuery, def: ResourceDefinition): boolean {
  return !isExcluded(projection, "members", def);
}

/** A group in a list: members read in full (Entra lists with excludedAttributes=members, which reads none). */
export async function renderGroups(
  c: Context<AppEnv>,
  rd: RequestDatabase,
  rows: GroupRow[],
  def: ResourceDefinition,
  projection: AttributeQuery,
): Promise<Record<string, unknown>[]> {
  const base = tenantBaseUrl(c);
  const out: Record<string, unknown>[] = [];
  for (const row of rows) {
    let members: GroupMemberRef[] | undefined;
    if (wantsMembers(projection, def)) {
      members = [];
      for (let after = ""; ; ) {
        const page = await memberPage(rd, row.tenantId, row.id, after);
        members.push(...page.map((m) => memberRef(base, m)));
        if (page.length === 0) break;
        after = page[page.length - 1]?.id ?? after;
      }
    }
    out.push(project(renderGroup(JSON.parse(row.doc) as GroupDoc, meta(c, row), members, def), def, projection));
  }
  return out;
}

/**
 * One group as a streamed body: the resource without members, then the
 * members page by page (MEMBER_PAGE rows per D1 read), so a 100,000-member
 * group answers in full while the worker holds one page at a time.
 */
export function streamGroup(
  c: Context<AppEnv>,
  rd: RequestDatabase,
  row: GroupRow,
  def: ResourceDefinition,
  projection: AttributeQuery,
  status: 200 | 201 = 200,
  extraHeaders: Record<string, string> = {},
): Response {
  const headers = { "content-type": SCIM_CONTENT_TYPE, ETag: weakETag(row.etag), ...extraHeaders };
  const head = project(renderGroup(JSON.parse(row.doc) as GroupDoc, meta(c, row), undefined, def), def, projection);
  if (!wantsMembers(projection, def)) return new Response(JSON.stringify(head), { status, headers });
  const base = tenantBaseUrl(c);
  const encoder = new TextEncoder();
  const opening = JSON.stringify(head).replace(/}$/, `${Object.keys(head).length > 0 ? "," : ""}"members":[`);
  let after = "";
  let first = true;
  let started = false;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!started) {
        started = true;
        controller.enqueue(encoder.encode(opening));
        return;
      }
      const page = await memberPage(rd, row.tenantId, row.id, after);
      if (page.length === 0) {
        controller.enqueue(encoder.encode("]}"));
        controller.close();
        return;
      }
      after = page[page.length - 1]?.id ?? after;
      const chunk = page.map((m) => JSON.stringify(memberRef(base, m))).join(",");
      controller.enqueue(encoder.encode((first ? "" : ",") + chunk));
      first = false;
    },
  });
  return new Response(body, { status, headers });
}

export function filterableGroup(row: GroupRow): Record<string, unknown> {
  return {
    ...(JSON.parse(row.doc) as Record<string, unknown>),
    id: row.id,
    meta: { resourceType: "Group", created: iso(row.createdAt), lastModified: iso(row.lastModified), version: weakETag(row.etag) },
  };
}
