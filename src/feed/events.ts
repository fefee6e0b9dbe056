/**
 * Reading the change feed (docs/events.md): pages in order, every event
 * exactly once across pages read while writes happen, a cursor to continue
 * from (present on an empty page too, so a consumer can poll), and 410 for
 * a cursor older than retention.
 *
 * Across data shards (docs/sharding.md): a tenant's feed is read on its
 * shard; the all-tenants feed reads a bounded page from every shard, after
 * the cursor's position there, and merges them by time. The cursor keeps one
 * position per shard and moves each only past what the page returned, so
 * every event is returned once. Events a tenant move copied to a shard are
 * not in the all-tenants feed of that shard: they were returned from the
 * shard they were written on, whose copy stays until retention.
 */
import { dateTime } from "../scim/data-types.js";
import type { RequestDatabase } from "../storage/database.js";
import { EVENT_SCAN_LIMIT, readEvents, type EventPage, type StoredEvent } from "../storage/events.js";
import { decodeGlobalCursor, decodeTenantCursor, encodeCursor, type ShardPositions } from "./cursor.js";

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

/**
 * An event's id: `evt_<seq>` on `DB` (as before shards), `evt_<shard>_<seq>`
 * on another shard — where it was first written, so a copy made by a move
 * keeps the id it was delivered under (webhook-id, deduplication).
 */
export function eventId(e: StoredEvent, shard: string): string {
  const [originShard, originSeq] = e.origin ? e.origin.split(":") : [shard, String(e.seq)];
  return originShard === "DB" ? `evt_${originSeq}` : `evt_${originShard}_${originSeq}`;
}

/** `shard`: the data shard the event was read from. */
export function feedEvent(e: StoredEvent, shard: string): FeedEvent {
  return {
    id: eventId(e, shard),
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

const pageSize = (q: FeedQuery) => Math.min(Math.max(q.limit ?? DEFAULT_PAGE, 1), MAX_PAGE);
const filters = (q: FeedQuery) => ({
  ...(q.type !== undefined ? { type: q.type } : {}),
  ...(q.resourceId !== undefined ? { resourceId: q.resourceId } : {}),
});

/**
 * One page of a tenant's feed (`rds`: its data shard) or of every tenant's
 * (`rds`: every data shard, in DATA_SHARDS order).
 */
export async function readFeed(rds: RequestDatabase[], q: FeedQuery): Promise<{ events: FeedEvent[]; nextCursor: string }> {
  const fresh = q.after === undefined || q.after === "";
  if (q.tenantId !== undefined) {
    const rd = rds[0]!;
    const after = decodeTenantCursor(q.after);
    const page = await readEvents(rd, { tenantId: q.tenantId, after, limit: pageSize(q), ...filters(q) });
    // No cursor: from the oldest event kept. A cursor older than that: 410, with where to resume.
    if (!fresh && after < page.prunedThrough) throw new CursorGone(encodeCursor("tenant", page.prunedThrough));
    const position = fresh ? Math.max(page.position, page.prunedThrough) : page.position;
    return { events: page.events.map((e) => feedEvent(e, rd.binding)), nextCursor: encodeCursor("tenant", position) };
  }
  const shards = rds.map((rd) => rd.binding);
  const from = decodeGlobalCursor(q.after);
  const limit = pageSize(q);
  const pages = await Promise.all(rds.map((rd) => readShardFeed(rd, { after: from[rd.binding] ?? 0, limit, ...filters(q) }, EVENT_SCAN_LIMIT)));
  const stale = pages.some((p, i) => (from[shards[i]!] ?? 0) < p.prunedThrough);
  if (!fresh && stale) {
    throw new CursorGone(encodeCursor("global", Object.fromEntries(shards.map((s, i) => [s, Math.max(from[s] ?? 0, pages[i]!.prunedThrough)])), shards));
  }
  const { events, positions } = mergeByTime(shards, pages, from, limit);
  if (fresh) shards.forEach((s, i) => (positions[s] = Math.max(positions[s] ?? 0, pages[i]!.prunedThrough)));
  return { events, nextCursor: encodeCursor("global", positions, shards) };
}

/**
 * A page of one shard's all-tenants feed: up to `q.limit` events after
 * `q.after`, without the copies a tenant move made there. Copies come in
 * blocks (a move copies a tenant's whole feed), so a page they thin out is
 * read on — doubling each read, passing over at most `passOver` rows more —
 * rather than answered nearly empty: a consumer that waits after an empty
 * page would otherwise crawl past a large tenant's copies a page a poll.
 * Without copies this is one read of `q.limit` rows, as before; a `type`
 * filter already passes over EVENT_SCAN_LIMIT rows in its one read.
 */
export async function readShardFeed(
  rd: RequestDatabase,
  q: { after: number; limit: number; type?: string; resourceId?: string },
  passOver: number,
): Promise<EventPage> {
  const first = await readEvents(rd, { ...q, leaveOutCopies: true });
  const events = [...first.events];
  let { position, more } = first;
  let size = q.limit;
  let passed = 0;
  while (events.length < q.limit && more && passed < passOver && q.type === undefined) {
    size = Math.min(2 * size, passOver - passed);
    passed += size;
    const page = await readEvents(rd, { ...q, after: position, limit: size, leaveOutCopies: true });
    // Only what this page can hold: the position stops at the last event taken, unless all were.
    const taken = page.events.slice(0, q.limit - events.length);
    events.push(...taken);
    const all = taken.length === page.events.length;
    position = all ? page.position : taken[taken.length - 1]!.seq;
    more = page.more || !all;
  }
  // The retention bound of the first read: the one the cursor was checked against.
  return { events, position, prunedThrough: first.prunedThrough, more };
}

/**
 * Up to `limit` events of the shards' pages, oldest first (ties: shard
 * order), each shard's taken events a prefix of its page, and each shard's
 * position after what was taken: past its whole page when all of it was
 * taken (so filtered-out rows are not read again), else at its last event
 * taken.
 */
function mergeByTime(shards: string[], pages: EventPage[], from: ShardPositions, limit: number): { events: FeedEvent[]; positions: ShardPositions } {
  const heads = pages.map(() => 0);
  const events: FeedEvent[] = [];
  const positions: ShardPositions = Object.fromEntries(shards.map((s) => [s, from[s] ?? 0]));
  while (events.length < limit) {
    let pick = -1;
    pages.forEach((p, i) => {
      const e = p.events[heads[i]!];
      if (e && (pick < 0 || e.occurredAt < pages[pick]!.events[heads[pick]!]!.occurredAt)) pick = i;
    });
    if (pick < 0) break;
    const e = pages[pick]!.events[heads[pick]!]!;
    heads[pick]! += 1;
    events.push(feedEvent(e, shards[pick]!));
    positions[shards[pick]!] = e.seq;
  }
  pages.forEach((p, i) => {
    if (heads[i] === p.events.length) positions[shards[i]!] = Math.max(positions[shards[i]!] ?? 0, p.position);
  });
  return { events, positions };
}
