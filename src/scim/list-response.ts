/** ListResponse and paging parameters (RFC 7644 §3.4.2.4). */
import { ScimError } from "./errors.js";
import { LIST_RESPONSE_SCHEMA } from "./schema/index.js";

/** Most resources per page; advertised as filter.maxResults in /ServiceProviderConfig. */
export const MAX_RESULTS = 200;

export interface ListResponse<T = unknown> {
  schemas: [typeof LIST_RESPONSE_SCHEMA];
  totalResults: number;
  startIndex: number;
  itemsPerPage: number;
  Resources: T[];
}

/**
 * Always carries startIndex, itemsPerPage and Resources (`[]` when empty:
 * Entra's Test Connection and Okta read it), all counts JSON integers
 * (Okta rejects strings: Okta's SCIM 2.0 guide).
 */
export function listResponse<T>(resources: T[], totalResults: number, startIndex: number): ListResponse<T> {
  return {
    schemas: [LIST_RESPONSE_SCHEMA],
    totalResults: Math.max(0, Math.trunc(totalResults)),
    startIndex: Math.max(1, Math.trunc(startIndex)),
    itemsPerPage: resources.length,
    Resources: resources,
  };
}

function toInteger(value: unknown): number | undefined {
  if (Array.isArray(value)) return toInteger(value[0]);
  if (typeof value === "number") return Number.isFinite(value) ? Math.trunc(value) : undefined;
  if (typeof value === "string" && /^\s*[+-]?\d+(\.\d*)?\s*$/.test(value)) {
    const n = Math.trunc(Number(value));
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

/**
 * startIndex: 1-based, default 1, < 1 → 1. count: default and ceiling
 * `maxResults`, negative → 0 (0 asks for totalResults only). Values that are
 * not numbers fall back to the default rather than 400: the RFC says
 * nothing, and IdPs must not be failed over paging.
 */
export function parsePagination(
  startIndex: unknown,
  count: unknown,
  maxResults: number = MAX_RESULTS,
): { startIndex: number; count: number } {
  const s = toInteger(startIndex);
  const c = toInteger(count);
  return {
    startIndex: s === undefined || s < 1 ? 1 : Math.min(s, Number.MAX_SAFE_INTEGER),
    count: c === undefined ? maxResults : Math.min(Math.max(c, 0), maxResults),
  };
}

export type SortOrder = "ascending" | "descending";

/**
 * sortOrder (RFC 7644 §3.4.2.3): default "ascending"; case-insensitive;
 * any other value → 400 invalidValue.
 */
export function parseSortOrder(value: unknown): SortOrder {
  if (Array.isArray(value)) return parseSortOrder(value[0]);
  if (value === undefined || value === null || value === "") return "ascending";
  if (typeof value === "string") {
    const lower = value.trim().toLowerCase();
    if (lower === "ascending" || lower === "descending") return lower;
  }
  throw ScimError.invalidValue('sortOrder must be "ascending" or "descending"');
}
