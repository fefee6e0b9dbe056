import type { Context } from "hono";
import type { AppEnv } from "../../context.js";
import type { GroupMember, GroupRow } from "../../provisioning/groups.js";
import { SCIM_CONTENT_TYPE } from "../../scim/errors.js";
import { isExcluded, project, type AttributeQuery } from "../../scim/projection.js";
import { renderGroup, weakETag, type GroupDoc, type GroupMemberRef } from "../../scim/resources/index.js";
import type { ResourceDefinition } from "../../scim/schema/index.js";
import { tenantBaseUrl } from "./tenant-url.js";
import { errorFields, log } from "../../log.js";
import { dateTime } from "../../scim/data-types.js";


function meta(c: Context<AppEnv>, row: GroupRow) {
  return {
    id: row.id,
    created: dateTime(row.createdAt),
    lastModified: dateTime(row.lastModified),
    version: weakETag(row.etag),
    location: `${tenantBaseUrl(c)}/Groups/${row.id}`,
  };
}

function memberRef(base: string, m: GroupMember): GroupMemberRef {
  const ref: GroupMemberRef = { value: m.id, $ref: `${base}/Users/${m.id}`, type: "User" };
  if (m.display) ref.display = m.display;
  return ref;
}

export function wantsMembers(projection: AttributeQuery, def: ResourceDefinition): boolean {
  return !isExcluded(projection, "members", def);
}

/** Groups of a list response, with the members they were read with (none when excluded). */
export function renderGroups(
  c: Context<AppEnv>,
  groups: Array<{ row: GroupRow; members?: GroupMember[] }>,
  def: ResourceDefinition,
  projection: AttributeQuery,
): Record<string, unknown>[] {
  const base = tenantBaseUrl(c);
  return groups.map(({ row, members }) =>
    project(renderGroup(JSON.parse(row.doc) as GroupDoc, meta(c, row), members?.map((m) => memberRef(base, m)), def), def, projection),
  );
}

/**
 * One group as a streamed body: the resource without members, then the
 * members page by page as `pages` yields them, so a 100,000-member group
 * answers in full while the worker holds one page at a time.
 *
 * The status line has gone out with the first byte, so a failure after it
 * (a D1 error on a later page) cannot become a SCIM error. It must not end
 * the body either: a closed stream would be a complete-looking 200 with part
 * of the members, which a client would take for the whole group and act on
 * (remove the rest). The stream is errored instead, which aborts the
 * response (no terminating chunk): the client sees a failed request and
 * retries it. A client that goes away stops the reads (cancel).
 */
export function streamGroup(
  c: Context<AppEnv>,
  row: GroupRow,
  pages: AsyncIterator<GroupMember[]>,
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
  let first = true;
  let started = false;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!started) {
        started = true;
        controller.enqueue(encoder.encode(opening));
        return;
      }
      let page: IteratorResult<GroupMember[]>;
      try {
        page = await pages.next();
      } catch (err) {
        log("error", { type: "group-stream-aborted", requestId: c.get("requestId"), groupId: row.id, ...errorFields(err) });
        controller.error(err);
        return;
      }
      if (page.done) {
        controller.enqueue(encoder.encode("]}"));
        controller.close();
        return;
      }
      const chunk = page.value.map((m) => JSON.stringify(memberRef(base, m))).join(",");
      controller.enqueue(encoder.encode((first ? "" : ",") + chunk));
      first = false;
    },
    async cancel() {
      await pages.return?.();
    },
  });
  return new Response(body, { status, headers });
}
