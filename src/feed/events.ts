/**
 * Reading the change feed (docs/events.md): pages in order, every event
 * exactly once across pages read while writes happen, a cursor to continue
 * from (present on an empty page too, so a consumer can poll), and 410 for
 * a cursor older than retention.
 */
import { dateTime } from "../scim/data-types.js";
import type { RequestDatabase } from "../storage/database.js";
import { readEvents, type StoredEvent } from "../storage/events.js";
import { decodeCursor, encodeCursor, type FeedScope } from "./cursor.js";

export const MAX_PAGE = 1000;
export const DEFAULT_PAGE = 100;

/** An event as the admin API and webhooks show it. */
export interface FeedEvent {
  id: string;
  tenantId: string;
  /** The tenant's sequence number: 1, 2, 3… without gaps. */
  sequence: number;
  occurredAt: string;
  type: string;
  resourceId: string;
  externalId: string | null;
  data: unknown;
  /** The SCIM request that caused it, or "sweep". */
  requestId: string;
}

export function feedEvent(e: StoredEvent): FeedEvent {
  return {
    id: `evt_${e.seq}`,
    tenantId: e.tenantId,
    sequence: e.tenantSeq,
    occurredAt: dateTime(e.occurredAt),
    type: e.type,
    resourceId: e.resourceId,
    externalId: e.externalId,
    data: JSON.parse(e.data) as unknown,
    requestId: e.requestId,
  };
}

/** The cursor was older than retention: events after it are gone. */
export class CursorGone extends Error {
  constructor(readonly oldestCursor: string) {
    super("The cursor is older than the feed's retention: events after it were pruned.");
  }
}

export interface FeedQuery {
  tenantId?: string;
  after?: string;
  limit?: number;
  type?: string;
  resourceId?: string;
}

export async function readFeed(rd: RequestDatabase, q: FeedQuery): Promise<{ events: FeedEvent[]; nextCursor: string }> {
  const scope: FeedScope = q.tenantId !== undefined ? "tenant" : "global";
  const after = decodeCursor(scope, q.after);
  const page = await readEvents(rd, {
    ...(q.tenantId !== undefined ? { tenantId: q.tenantId } : {}),
    after,
    limit: Math.min(Math.max(q.limit ?? DEFAULT_PAGE, 1), MAX_PAGE),
    ...(q.type !== undefined ? { type: q.type } : {}),
    ...(q.resourceId !== undefined ? { resourceId: q.resourceId } : {}),
  });
  // No cursor: from the oldest event kept. A cursor older than that: 410, with where to resume.
  const fresh = q.after === undefined || q.after === "";
  if (!fresh && after < page.prunedThrough) throw new CursorGone(encodeCursor(scope, page.prunedThrough));
  const position = fresh ? Math.max(page.position, page.prunedThrough) : page.position;
  return { events: page.events.map(feedEvent), nextCursor: encodeCursor(scope, position) };
}
