/**
 * The change feed's storage (docs/events.md). Every write batch appends its
 * events here with the statements below, so an event commits exactly when
 * its change does: a failed or lost batch leaves neither.
 *
 * Per-tenant numbering: the next `tenant_seq` is the tenant's highest plus
 * one (one index row read), or — once retention has pruned all its events —
 * where pruning stopped. D1 runs one write transaction at a time, so two
 * batches never take the same number, and readers only ever see a prefix.
 */
import type { RequestDatabase } from "./database.js";
import { rowMapper } from "./rows.js";
import { events } from "./schema.js";

/** Who caused a batch's events, and when. */
export interface EventOrigin {
  tenantId: string;
  now: number;
  /** The SCIM request id, or "sweep". */
  requestId: string;
}

/**
 * Every type of the change feed, in the order of docs/events.md's reference:
 * the one list the feed's `type` filter, webhook subscriptions (stored in
 * this order) and the admin API's OpenAPI document all use.
 */
export const EVENT_TYPES = [
  "user.created",
  "user.updated",
  "user.deactivated",
  "user.reactivated",
  "user.deleted",
  "group.created",
  "group.updated",
  "group.deleted",
  "group.member_added",
  "group.member_removed",
  "licence.activated",
  "licence.downgraded",
  "licence.reactivated",
  "licence.expired",
  "licence.removed",
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

/**
 * The last global seq before this statement: the highest in the table, or
 * the highest ever deleted (a purge may have removed the newest), so a
 * number is never reused and a consumer never skips an event.
 */
export const LAST_SEQ = `max(COALESCE((SELECT max(seq) FROM events), 0), COALESCE((SELECT seq_floor FROM event_feed WHERE id = 1), 0))`;

/** The next tenant_seq of tenant ?1, before any row of this statement. */
const NEXT_TENANT_SEQ = `COALESCE((SELECT max(tenant_seq) FROM events WHERE tenant_id = ?1),
  (SELECT events_pruned_through FROM tenant_stats WHERE tenant_id = ?1), 0)`;

/** One event whose data is known in TypeScript. */
export function eventStatement(
  d1: D1Database,
  origin: EventOrigin,
  event: { type: EventType; resourceId: string; externalId: string | null; data: unknown },
): D1PreparedStatement {
  return d1
    .prepare(
      `INSERT INTO events (seq, tenant_id, tenant_seq, occurred_at, type, resource_id, external_id, data, request_id)
       VALUES (${LAST_SEQ} + 1, ?1, ${NEXT_TENANT_SEQ} + 1, ?2, ?3, ?4, ?5, ?6, ?7)`,
    )
    .bind(origin.tenantId, origin.now, event.type, event.resourceId, event.externalId, JSON.stringify(event.data), origin.requestId);
}

/**
 * Events for rows chosen in SQL, set-based: one statement whatever their
 * number (a licence flip on a 100,000-member group). `source` is a SELECT
 * yielding `type`, `resource_id`, `external_id`, `data` (JSON text) and `ord`
 * (the order within the batch); it may use ?1 (tenant), ?2 (now) and its own
 * parameters from ?4 on (`params`).
 */
export function eventsFromSelect(d1: D1Database, origin: EventOrigin, source: string, params: unknown[]): D1PreparedStatement {
  return d1
    .prepare(
      `INSERT INTO events (seq, tenant_id, tenant_seq, occurred_at, type, resource_id, external_id, data, request_id)
       SELECT ${LAST_SEQ} + row_number() OVER (ORDER BY s.ord), ?1, ${NEXT_TENANT_SEQ} + row_number() OVER (ORDER BY s.ord),
              ?2, s.type, s.resource_id, s.external_id, s.data, ?3
       FROM (${source}) s`,
    )
    .bind(origin.tenantId, origin.now, origin.requestId, ...params);
}

/** SQL: epoch milliseconds → xsd:dateTime, for event data built in SQL. */
export function isoSql(expression: string): string {
  return `CASE WHEN ${expression} IS NULL THEN NULL ELSE strftime('%Y-%m-%dT%H:%M:%fZ', ${expression} / 1000.0, 'unixepoch') END`;
}

/** An events row, typed by the schema. */
export type StoredEvent = typeof events.$inferSelect;

/** An events row as D1 returns it for raw SQL, mapped by the schema (rows.ts). */
export const eventFromRow = rowMapper(events);

export interface EventQuery {
  /** One tenant's feed (ordered by tenant_seq), or every tenant's (ordered by seq). */
  tenantId?: string;
  /** The position read up to: a tenant_seq for a tenant's feed, a seq for the global one. */
  after: number;
  limit: number;
  type?: string;
  resourceId?: string;
  /** The all-tenants feed: leave out events a tenant move copied here (docs/sharding.md); the position still moves past them. */
  leaveOutCopies?: boolean;
}

export interface EventPage {
  events: StoredEvent[];
  /** The position to continue after (unchanged when nothing new was read). */
  position: number;
  /** Below this position, events were pruned: a cursor under it is stale. */
  prunedThrough: number;
  /** The page stopped at its bound: events after `position` may be waiting. */
  more: boolean;
}

/** Index entries a filtered page may pass over before it answers with what it found (bounded work per page). */
export const EVENT_SCAN_LIMIT = 1000;


/**
 * One page of a feed, in order, read through an index: a page of n events
 * reads about n rows. A `type` filter scans at most EVENT_SCAN_LIMIT entries
 * past the cursor and answers what it found, with a position past them, so
 * a sparse type never makes a page read the whole log. The stale-cursor
 * bound comes in the same round trip.
 */
export async function readEvents(rd: RequestDatabase, q: EventQuery): Promise<EventPage> {
  const scan = q.type ? Math.max(q.limit, EVENT_SCAN_LIMIT) : q.limit;
  const [pruned, page] = await rd.d1.batch<Record<string, unknown>>(
    q.tenantId !== undefined
      ? [
          rd.d1.prepare(`SELECT events_pruned_through AS p FROM tenant_stats WHERE tenant_id = ?1`).bind(q.tenantId),
          q.resourceId !== undefined
            ? rd.d1
                .prepare(`SELECT * FROM events WHERE tenant_id = ?1 AND resource_id = ?2 AND tenant_seq > ?3 ORDER BY tenant_seq LIMIT ?4`)
                .bind(q.tenantId, q.resourceId, q.after, scan)
            : rd.d1.prepare(`SELECT * FROM events WHERE tenant_id = ?1 AND tenant_seq > ?2 ORDER BY tenant_seq LIMIT ?3`).bind(q.tenantId, q.after, scan),
        ]
      : [
          rd.d1.prepare(`SELECT pruned_through AS p FROM event_feed WHERE id = 1`),
          rd.d1.prepare(`SELECT * FROM events WHERE seq > ?1 ORDER BY seq LIMIT ?2`).bind(q.after, scan),
        ],
  );
  const rows = (page?.results ?? []).map(eventFromRow);
  const positionOf = (e: StoredEvent) => (q.tenantId !== undefined ? e.tenantSeq : e.seq);
  const kept: StoredEvent[] = [];
  let position = q.after;
  let examined = 0;
  for (const e of rows) {
    if (kept.length === q.limit) break;
    examined += 1;
    position = positionOf(e);
    if ((!q.type || e.type === q.type) && (!q.resourceId || e.resourceId === q.resourceId) && !(q.leaveOutCopies && e.origin !== null)) kept.push(e);
  }
  return { events: kept, position, prunedThrough: Number(pruned?.results[0]?.["p"] ?? 0), more: rows.length === scan || examined < rows.length };
}

/**
 * One page of retention: deletes the oldest events, in feed order, up to
 * `pageSize` and only those older than `cutoff`, recording per tenant and
 * globally how far pruning went (a cursor below that is stale). Answers how
 * many it deleted.
 */
export async function pruneEventsPage(d1: D1Database, cutoff: number, pageSize: number): Promise<number> {
  const { results } = await d1
    .prepare(`SELECT seq, occurred_at FROM events ORDER BY seq LIMIT ?1`)
    .bind(pageSize)
    .all<{ seq: number; occurred_at: number }>();
  let last: number | undefined;
  for (const r of results) {
    if (r.occurred_at >= cutoff) break;
    last = r.seq;
  }
  if (last === undefined) return 0;
  const done = await d1.batch([
    d1
      .prepare(
        `UPDATE tenant_stats SET events_pruned_through = max(events_pruned_through, p.through)
         FROM (SELECT tenant_id, max(tenant_seq) AS through FROM events WHERE seq <= ?1 GROUP BY tenant_id) p
         WHERE tenant_stats.tenant_id = p.tenant_id`,
      )
      .bind(last),
    d1
      .prepare(
        `INSERT INTO event_feed (id, pruned_through, seq_floor) VALUES (1, ?1, ?1) ON CONFLICT (id) DO UPDATE
         SET pruned_through = max(pruned_through, excluded.pruned_through), seq_floor = max(seq_floor, excluded.seq_floor)`,
      )
      .bind(last),
    d1.prepare(`DELETE FROM events WHERE seq <= ?1`).bind(last),
  ]);
  return done[2]?.meta.changes ?? 0;
}
