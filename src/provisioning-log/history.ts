/**
 * One user's history, newest first — the page support opens for "why is
 * this user not Pro?": the user's events from the change feed (user.* and
 * licence.*, whose `requestId` names the request that caused them) merged
 * with the SCIM requests that named the user (`/Users/{id}`, and the POST
 * that created it), each item with `kind` "event" or "request".
 *
 * Membership events (group.member_added / _removed) are not included: their
 * resource is the group, and reading them per user would need an index on
 * the member, one more row written for every membership change (the member
 * budget is ≤ 5 written). What a membership change did to the user's
 * licence is here, as the licence event, with the group request's id.
 *
 * Bounded work per page: the events come through the feed's
 * events_resource_idx backwards (≤ limit rows), the requests through the
 * log's key, one seek per hour from the cursor down to the oldest hour that
 * can hold them (retention, or the user's creation: its id is a UUIDv7),
 * at most HISTORY_HOURS_PER_PAGE hours — all of the default 30 days at once.
 *
 * Two streams, each read in its own order, merged by time: a page takes a
 * prefix of each, and the cursor records how far in each it went, so every
 * item comes exactly once across pages. An event is shown only once every
 * request newer than it has been read.
 */
import { feedEvent, type FeedEvent } from "../feed/events.js";
import type { RequestDatabase } from "../storage/database.js";
import type { StoredEvent } from "../storage/events.js";
import { HOUR_MS, hourOf, lastHourBefore, readResourceHistory, type LogPosition, type StoredRequest } from "../storage/request-log.js";
import { decodeHistoryCursor, encodeHistoryCursor } from "./cursor.js";
import { pageSize, requestView, type RequestView } from "./requests.js";

const DAY_MS = 86_400_000;
/** Hours of the request log one page seeks (≈ 1 row read each): 33 days. */
export const HISTORY_HOURS_PER_PAGE = 33 * 24;

export type HistoryItem = ({ kind: "event"; at: string } & FeedEvent) | ({ kind: "request" } & RequestView);

const UUID_V7 = /^([0-9a-f]{8})-([0-9a-f]{4})-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

/** The creation time a UUIDv7 carries (RFC 9562 §5.7), if `id` is one. */
function createdAtOf(id: string): number | undefined {
  const m = UUID_V7.exec(id);
  return m ? parseInt(`${m[1]}${m[2]}`, 16) : undefined;
}

export interface HistoryQuery {
  tenantId: string;
  userId: string;
  after?: string | undefined;
  limit?: number | undefined;
  now: number;
  retentionDays: number;
}

/** Throws InvalidLogCursor for an `after` that is not a history cursor. */
export async function readUserHistory(rd: RequestDatabase, q: HistoryQuery): Promise<{ items: HistoryItem[]; nextCursor: string | null }> {
  const limit = pageSize(q.limit);
  const from = q.after
    ? decodeHistoryCursor(q.after)
    : { eventsBefore: Number.MAX_SAFE_INTEGER, requestsBefore: { at: q.now + HOUR_MS, requestId: "" } };
  // The oldest hour that can hold a request naming the user: retention, or an hour before the user's
  // creation (the POST that created it started before its id was made).
  const created = createdAtOf(q.userId);
  const floor = Math.max(hourOf(q.now - q.retentionDays * DAY_MS), created !== undefined && created <= q.now ? hourOf(created) - 1 : 0);
  const hi = lastHourBefore(from.requestsBefore);
  const lo = Math.max(floor, hi - HISTORY_HOURS_PER_PAGE + 1);
  const { events, requests } = await readResourceHistory(rd, {
    tenantId: q.tenantId,
    resourceId: q.userId,
    eventsBefore: from.eventsBefore,
    requestsBefore: from.requestsBefore,
    hours: { hi, lo },
    limit,
  });

  // Requests below the window's bottom hour are not read yet, unless the window reached the floor.
  const windowExhausted = requests.length < limit;
  const requestsDone = windowExhausted && lo <= floor;
  const windowBottom = lo * HOUR_MS;
  const items: HistoryItem[] = [];
  let i = 0;
  let j = 0;
  while (items.length < limit) {
    const e: StoredEvent | undefined = events[i];
    const r: StoredRequest | undefined = requests[j];
    if (e === undefined && r === undefined) break;
    // Newer first. In one millisecond, a request's own events come before it (they happened after it
    // started) and another request's after it (it started after they happened).
    if (e !== undefined && (r === undefined || e.occurredAt > r.at || (e.occurredAt === r.at && e.requestId === r.requestId))) {
      if (r === undefined && !requestsDone && e.occurredAt < windowBottom) break;
      const event = feedEvent(e, rd.binding);
      items.push({ kind: "event", at: event.occurredAt, ...event });
      i++;
    } else if (r !== undefined) {
      items.push({ kind: "request", ...requestView(r) });
      j++;
    }
  }

  const lastEvent = events[i - 1];
  const lastRequest = requests[j - 1];
  let requestsBefore: LogPosition = lastRequest ? { at: lastRequest.at, requestId: lastRequest.requestId } : from.requestsBefore;
  // Every request of the window was shown: the next page starts below it.
  if (windowExhausted && j === requests.length) requestsBefore = { at: windowBottom, requestId: "" };
  const eventsDone = events.length < limit && i === events.length;
  const done = eventsDone && requestsDone && j === requests.length;
  return {
    items,
    nextCursor: done ? null : encodeHistoryCursor({ eventsBefore: lastEvent ? lastEvent.tenantSeq : from.eventsBefore, requestsBefore }),
  };
}
