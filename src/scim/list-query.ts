import { bindFilter, checkMembershipFilter, findSeek, parseFilter, type BoundFilter, type Seek } from "./filter/index.js";
import { ScimError } from "./errors.js";
import { MAX_RESULTS, parsePagination, parseSortOrder } from "./list-response.js";
import { parseAttributeList, type AttributeQuery } from "./projection.js";
import { resolvePath, type ResolvedPath, type ResourceDefinition } from "./schema/index.js";

/** The parameters of RFC 7644 §3.4.2 from a query string or a SearchRequest body (§3.4.3). */
export interface ListQuery {
  filter?: BoundFilter;
  seek?: Seek;
  startIndex: number;
  count: number;
  sort?: { path: ResolvedPath; descending: boolean };
  projection: AttributeQuery;
}

export interface RawListParameters {
  filter?: unknown;
  startIndex?: unknown;
  count?: unknown;
  sortBy?: unknown;
  sortOrder?: unknown;
  attributes?: unknown;
  excludedAttributes?: unknown;
}

function stringList(value: unknown): string[] | undefined {
  if (Array.isArray(value)) return parseAttributeList(value.filter((v): v is string => typeof v === "string"));
  return typeof value === "string" ? parseAttributeList(value) : undefined;
}

export function parseListQuery(raw: RawListParameters, def: ResourceDefinition): ListQuery {
  const { startIndex, count } = parsePagination(raw.startIndex, raw.count, MAX_RESULTS);
  const query: ListQuery = {
    startIndex,
    count,
    projection: { attributes: stringList(raw.attributes), excludedAttributes: stringList(raw.excludedAttributes) },
  };
  if (raw.filter !== undefined && raw.filter !== null && raw.filter !== "") {
    if (typeof raw.filter !== "string") throw ScimError.invalidFilter("filter must be a string.");
    query.filter = bindFilter(parseFilter(raw.filter), def);
    checkMembershipFilter(query.filter);
    query.seek = findSeek(query.filter);
  }
  if (typeof raw.sortBy === "string" && raw.sortBy.trim() !== "") {
    const path = resolvePath(def, raw.sortBy.trim());
    // RFC 7644 §3.4.2.3 gives no scimType for a bad sortBy; invalidValue is the closest.
    if (!path?.attribute || (path.attribute.type === "complex" && !path.subAttribute && !path.attribute.multiValued)) {
      throw ScimError.invalidValue(`Cannot sort by "${raw.sortBy}".`);
    }
    query.sort = { path, descending: parseSortOrder(raw.sortOrder) === "descending" };
  }
  return query;
}

/** A SearchRequest body (RFC 7644 §3.4.3); unknown keys are ignored, keys are case-insensitive. */
export function searchRequestParameters(body: unknown): RawListParameters {
  if (!body || typeof body !== "object" || Array.isArray(body)) throw ScimError.invalidSyntax("A SearchRequest must be a JSON object.");
  const out: Record<string, unknown> = {};
  const names = ["filter", "startIndex", "count", "sortBy", "sortOrder", "attributes", "excludedAttributes"];
  for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
    const name = names.find((n) => n.toLowerCase() === key.toLowerCase());
    if (name) out[name] = value;
  }
  return out;
}
