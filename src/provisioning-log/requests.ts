/**
 * A tenant's provisioning log as the admin API shows it: its SCIM requests,
 * newest first, in pages with an opaque cursor (null once nothing older is
 * left), optionally only the 4xx or the 5xx. The work per page is bounded
 * (storage/request-log.ts, readTenantRequests): a sparse status answers a
 * short page and a cursor rather than reading the whole log.
 */
import { dateTime } from "../scim/data-types.js";
import type { RequestDatabase } from "../storage/database.js";
import { readTenantRequests, type StoredRequest } from "../storage/request-log.js";
import { decodeRequestCursor, encodeRequestCursor } from "./cursor.js";

export const DEFAULT_PAGE = 100;
export const MAX_PAGE = 1000;

export type StatusClass = "4xx" | "5xx";

/** One request as the admin API shows it. */
export interface RequestView {
  requestId: string;
  /** When it started (xsd:dateTime). */
  at: string;
  method: string;
  /** Relative to the Tenant URL, without the query string. */
  path: string;
  status: number;
  scimType: string | null;
  detail: string | null;
  /** The user or group it named or created. */
  resourceId: string | null;
  durationMs: number;
  userAgent: string | null;
}

export function requestView(r: StoredRequest): RequestView {
  return {
    requestId: r.requestId,
    at: dateTime(r.at),
    method: r.method,
    path: r.path,
    status: r.status,
    scimType: r.scimType,
    detail: r.detail,
    resourceId: r.resourceId,
    durationMs: r.durationMs,
    userAgent: r.userAgent,
  };
}

const STATUS_RANGE: Record<StatusClass, { min: number; max: number }> = { "4xx": { min: 400, max: 499 }, "5xx": { min: 500, max: 599 } };

export const pageSize = (limit: number | undefined): number => Math.min(Math.max(limit ?? DEFAULT_PAGE, 1), MAX_PAGE);

/** Throws InvalidLogCursor for an `after` that is not one of this log's cursors. */
export async function readRequestLog(
  rd: RequestDatabase,
  q: { tenantId: string; after?: string | undefined; limit?: number | undefined; status?: StatusClass | undefined },
): Promise<{ requests: RequestView[]; nextCursor: string | null }> {
  const page = await readTenantRequests(rd, {
    tenantId: q.tenantId,
    before: q.after ? decodeRequestCursor(q.after) : undefined,
    limit: pageSize(q.limit),
    ...(q.status ? { status: STATUS_RANGE[q.status] } : {}),
  });
  return { requests: page.requests.map(requestView), nextCursor: page.next ? encodeRequestCursor(page.next) : null };
}
