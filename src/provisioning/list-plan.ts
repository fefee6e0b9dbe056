/**
 * From a SCIM list request (RFC 7644 §3.4.2) to a storage ListPlan: the
 * index the candidates come from (the filter's seek), the filter as a plain
 * predicate, and the sort. SCIM semantics — case folding, the filter
 * engine, sort keys — stay here and in src/scim; storage runs SQL.
 */
import { foldCase } from "../scim/data-types.js";
import { matchesFilter, type Seek } from "../scim/filter/index.js";
import { sortName, sortValue } from "../scim/sort.js";
import type { ListQuery } from "../scim/list-query.js";
import type { ListPlan, ListSource } from "../storage/listing.js";

/** How one resource type is listed: its indexed seeks and sorts, and the SCIM view the filter sees. */
export interface ListSpec<Row> {
  /** The storage source answering each seek kind this resource type indexes (given the literal as written). */
  sources: Partial<Record<Seek["kind"], (value: string) => ListSource>>;
  /** Indexed sort columns by sortName (lower-case canonical attribute name). */
  sortColumns: Record<string, string>;
  /** The SCIM view the filter is evaluated on (doc + id, externalId, meta). */
  filterable(row: Row): Record<string, unknown>;
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
