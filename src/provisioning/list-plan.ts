/**
 * From a SCIM list request (RFC 7644 §3.4.2) to a storage ListPlan: the
 * index the candidates come from (the filter's seek), the filter as a plain
 * predicate, and the sort. SCIM semantics — case folding, the filter
 * engine, sort keys — stay here and in src/scim; storage runs SQL.
 */
import { dateTime, foldCase } from "../scim/data-types.js";
import { weakETag } from "../scim/resources/index.js";
import { ScimError } from "../scim/errors.js";
import { matchesFilter, type Seek } from "../scim/filter/index.js";
import { sortName, sortValue } from "../scim/sort.js";
import type { ListQuery } from "../scim/list-query.js";
import { listRows, ListTooCostly, pagesInIdOrder, type ListPlan, type ListSource, type ListTable } from "../storage/listing.js";
import { pageAnchors } from "../storage/page-anchors.js";
import type { ProvisioningContext } from "./context.js";

/** How one resource type is listed: its indexed seeks and sorts, and the SCIM view the filter sees. */
export interface ListSpec<Row> {
  /** The storage source answering each seek kind this resource type indexes (given the literal as written). */
  sources: Partial<Record<Seek["kind"], (value: string) => ListSource>>;
  /** Indexed sort columns by sortName (lower-case canonical attribute name). */
  sortColumns: Record<string, string>;
  /** The SCIM view the filter is evaluated on (doc + id, externalId, meta). */
  filterable(row: Row): Record<string, unknown>;
  /** What a 400 tooMany names instead (ListTooCostly): the resources, their seeks, their membership filter, their indexed sorts. */
  advice: { resources: string; seeks: string; unique: string; membership: string; sorts: string };
}

/**
 * Rows found through a membership seek are known to hold that membership;
 * the doc itself holds no members or groups, so the filter sees it here.
 */
function membershipFacts(seek: Seek | undefined): Record<string, unknown> {
  if (seek?.kind === "memberValue") return { members: [{ value: seek.value }] };
  if (seek?.kind === "groupValue") return { groups: [{ value: seek.value }] };
  return {};
}

export function listPlan<Row>(query: ListQuery, spec: ListSpec<Row>): ListPlan<Row> {
  const plan: ListPlan<Row> = { startIndex: query.startIndex, count: query.count };
  const filter = query.filter;
  if (filter) {
    const seek = query.seek;
    const facts = membershipFacts(seek);
    plan.predicate = (row) => matchesFilter(filter, { ...spec.filterable(row), ...facts });
    const source = seek ? spec.sources[seek.kind]?.(seek.value) : undefined;
    if (source) {
      plan.source = source;
      // A single condition that is the seek itself (the filter has no `and`).
      plan.sourceIsPredicate = filter.kind !== "and";
    }
  }
  if (query.sort) {
    const path = query.sort.path;
    plan.sort = { column: spec.sortColumns[sortName(path)], key: (row) => sortValue(spec.filterable(row), path), descending: query.sort.descending };
  }
  return plan;
}

/** Case-insensitive keys (userName, displayName, emails.value) are stored folded; their seeks fold the literal the same way. */
export const folded = (source: (value: string) => ListSource) => (value: string) => source(foldCase(value));

/**
 * A plan that would read more than storage's LIST_LIMITS is refused with
 * 400 tooMany (RFC 7644 §3.12: "the specified filter yields many more
 * results than the server is willing to calculate or process"), saying what
 * to send instead. RFC 7644 §3.4.2.4 lets a server answer fewer results than
 * `count`, but not a different totalResults, so a partial scan cannot be
 * answered as a page.
 */
export function tooMany(err: ListTooCostly, advice: ListSpec<unknown>["advice"]): ScimError {
  const n = err.bound.toLocaleString("en-US");
  const { resources, seeks, unique, membership, sorts } = advice;
  switch (err.limit) {
    case "scan":
      return ScimError.badRequest(
        "tooMany",
        `This filter or sortBy is answered by reading every one of the tenant's ${resources}, and a request reads at most ${n}; this tenant has more. Filter with an indexed equality instead (${seeks}, ${membership}), optionally and-ed with other conditions, and sort by ${sorts}.`,
      );
    case "range":
      return ScimError.badRequest(
        "tooMany",
        `${membership} with other conditions or a sortBy reads every one of its ${resources}, and a request reads at most ${n}; this one has more. Send ${membership} alone (paged in id order) and apply the other conditions to the pages.`,
      );
    case "seek":
      return ScimError.badRequest(
        "tooMany",
        `More than ${n} ${resources} share the value this filter looks up, and a request reads at most ${n} of them. Add an equality on ${unique}.`,
      );
    case "offset":
      return ScimError.badRequest(
        "tooMany",
        `startIndex is past ${(err.bound + 1).toLocaleString("en-US")}: paging by offset (RFC 7644 §3.4.2.4) reads every skipped entry, and a request skips at most ${n}. Narrow the list with a filter (${seeks}, ${membership}) and page within it.`,
      );
  }
}

/**
 * Runs a list request (listPlan, then storage's list engine), answering a
 * plan over the limits with 400 tooMany. A list in plain id order uses page
 * anchors: a deep page seeks past the id the previous page ended on
 * (src/storage/page-anchors.ts), and a full page remembers where it ended,
 * so an identity provider importing a large tenant page by page reads each
 * page's rows, not the offset.
 */
export async function runList<Row>(
  ctx: ProvisioningContext,
  table: ListTable<Row>,
  query: ListQuery,
  spec: ListSpec<Row>,
  withColumns?: string,
): Promise<{ total: number; rows: Row[] }> {
  let plan = listPlan(query, spec);
  const anchored = pagesInIdOrder(plan) && plan.count > 0;
  const anchors = pageAnchors(ctx.kv, ctx.tenantId);
  if (anchored && plan.startIndex > 1) {
    const id = await anchors.get(table.table, plan.startIndex - 1);
    if (id !== undefined) plan = { ...plan, anchor: { index: plan.startIndex - 1, id } };
  }
  let result: { total: number; rows: Row[] };
  try {
    result = await listRows(ctx.rd, table, ctx.tenantId, plan, withColumns);
  } catch (err) {
    if (err instanceof ListTooCostly) throw tooMany(err, spec.advice);
    throw err;
  }
  const last = result.rows[result.rows.length - 1];
  if (anchored && last !== undefined && result.rows.length === plan.count) {
    await anchors.remember(table.table, plan.startIndex + plan.count - 1, table.id(last));
  }
  return result;
}

/**
 * The view a filter is evaluated on: the stored doc plus the common
 * attributes id and meta (RFC 7643 §3.1), for any stored resource row.
 */
export function filterableView(resourceType: "User" | "Group") {
  return (row: { doc: string; id: string; createdAt: number; lastModified: number; etag: string }): Record<string, unknown> => ({
    ...(JSON.parse(row.doc) as Record<string, unknown>),
    id: row.id,
    meta: { resourceType, created: dateTime(row.createdAt), lastModified: dateTime(row.lastModified), version: weakETag(row.etag) },
  });
}
