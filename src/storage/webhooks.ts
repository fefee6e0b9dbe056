/**
 * Webhook endpoints and their delivery state (docs/webhooks.md).
 *
 * The endpoint row is also the delivery state: the outbox cursor (how far
 * the receiver has acknowledged the feed), the back-off (consecutive
 * failures, next attempt), the last success and failure, and a lease that
 * keeps one delivery run per endpoint at a time. The events themselves are
 * the change feed's rows (src/storage/events.ts): nothing is copied, so a
 * change and its delivery can never disagree.
 *
 * Every statement is one D1 statement (a single-row write is atomic), or one
 * batch. Statements on an endpoint's events are scoped by its tenant when it
 * has one. The SQL is raw for the INSERT … SELECT guards and RETURNING.
 *
 * Across data shards (docs/sharding.md): endpoints live in the control
 * database; the events they follow live on the data shards. A tenant's
 * endpoint follows the tenant's sequence on whichever shard the control
 * `tenants` row names (the sequence is the same on every shard); an
 * all-tenants endpoint keeps a position per shard — `cursor_position` on
 * `DB`, `shard_cursors` on the others. So what needs the events (is there
 * anything to deliver, how far behind is it, where does it start) is asked
 * of each shard, one statement per shard for all the endpoints at once.
 */
import type { RequestDatabase } from "./database.js";
import { LAST_SEQ } from "./events.js";

/** A bound that keeps a delivery run's scan of the endpoints, and the listing, small. */
export const MAX_WEBHOOK_ENDPOINTS = 50;

export interface WebhookEndpointRecord {
  id: string;
  url: string;
  tenantId: string | null;
  types: string[] | null;
  secretSealed: string;
  createdAt: number;
  /** The tenant's sequence (a tenant's endpoint), or the position on `DB` (an all-tenants one). */
  cursorPosition: number;
  /** An all-tenants endpoint's position on each data shard other than `DB`. */
  shardCursors: Record<string, number>;
  failures: number;
  nextAttemptAt: number;
  delivered: number;
  lastSuccessAt: number | null;
  lastFailureAt: number | null;
  lastFailureStatus: number | null;
  lastFailureError: string | null;
  lastFailureEventId: string | null;
  expiredUndelivered: number;
}

/** An endpoint with where its events are: whether its tenant still exists, and the shard it lives on. */
export interface WebhookEndpointState extends WebhookEndpointRecord {
  /** False once the tenant it follows was deleted (or deleted and created again). Always true for all-tenants endpoints. */
  tenantLive: boolean;
  /** The data shard of the tenant it follows, while that tenant is live; null for all-tenants endpoints. */
  tenantShard: string | null;
}

/** An endpoint as the admin API lists it: its state and how far behind it is. */
export interface WebhookEndpointStatus extends WebhookEndpointState {
  /** Feed positions written after its cursor, before its type filter (docs/webhooks.md, "Delivery state"). */
  backlog: number;
}

/** Where an endpoint stands: the columns of its cursor. */
export interface EndpointCursor {
  cursorPosition: number;
  shardCursors: Record<string, number>;
}

export type CreateEndpointResult = { ok: true; endpoint: WebhookEndpointRecord } | { ok: false; reason: "tenant_not_found" | "limit" };

function record(r: Record<string, unknown>): WebhookEndpointRecord {
  return {
    id: r.id as string,
    url: r.url as string,
    tenantId: (r.tenant_id as string | null) ?? null,
    types: r.types === null || r.types === undefined ? null : (JSON.parse(r.types as string) as string[]),
    secretSealed: r.secret_sealed as string,
    createdAt: r.created_at as number,
    cursorPosition: r.cursor_position as number,
    shardCursors: shardCursorsOf(r.shard_cursors),
    failures: r.failures as number,
    nextAttemptAt: r.next_attempt_at as number,
    delivered: r.delivered as number,
    lastSuccessAt: (r.last_success_at as number | null) ?? null,
    lastFailureAt: (r.last_failure_at as number | null) ?? null,
    lastFailureStatus: (r.last_failure_status as number | null) ?? null,
    lastFailureError: (r.last_failure_error as string | null) ?? null,
    lastFailureEventId: (r.last_failure_event_id as string | null) ?? null,
    expiredUndelivered: r.expired_undelivered as number,
  };
}

function shardCursorsOf(json: unknown): Record<string, number> {
  try {
    const value: unknown = JSON.parse(typeof json === "string" ? json : "{}");
    if (typeof value !== "object" || value === null) return {};
    return Object.fromEntries(Object.entries(value).filter((e): e is [string, number] => typeof e[1] === "number"));
  } catch {
    return {};
  }
}

function state(r: Record<string, unknown>): WebhookEndpointState {
  const tenantLive = Boolean(r.tenant_live);
  return { ...record(r), tenantLive, tenantShard: tenantLive ? ((r.tenant_shard as string | null) ?? null) : null };
}

/** Whether the tenant an endpoint follows is the one it was registered for and is live (always true for all-tenants endpoints). */
const TENANT_LIVE = `(w.tenant_id IS NULL OR EXISTS (SELECT 1 FROM tenants t
  WHERE t.id = w.tenant_id AND t.created_at = w.tenant_created_at AND t.deleted_at IS NULL))`;

/**
 * Registers an endpoint, in one statement: guarded by its tenant being live
 * (when it names one) and by MAX_WEBHOOK_ENDPOINTS, so concurrent creates
 * cannot pass the bound. It starts at `start`, the end of its feed read on
 * the data shards just before (feedEnds): it receives the events written
 * after it was registered (the feed has the history).
 */
export async function createWebhookEndpoint(
  d1: D1Database,
  input: { id: string; url: string; tenantId: string | null; types: string[] | null; secretSealed: string; start: EndpointCursor },
  now: number = Date.now(),
): Promise<CreateEndpointResult> {
  const [inserted, check] = await d1.batch<Record<string, unknown>>([
    d1
      .prepare(
        `INSERT INTO webhook_endpoints (id, url, tenant_id, tenant_created_at, types, secret_sealed, created_at, cursor_position, shard_cursors)
         SELECT ?1, ?2, ?3, t.created_at, ?4, ?5, ?6, ?8, ?9
         FROM (SELECT 1) one LEFT JOIN tenants t ON t.id = ?3 AND t.deleted_at IS NULL
         WHERE (?3 IS NULL OR t.id IS NOT NULL) AND (SELECT count(*) FROM webhook_endpoints) < ?7
         RETURNING *`,
      )
      .bind(
        input.id,
        input.url,
        input.tenantId,
        input.types === null ? null : JSON.stringify(input.types),
        input.secretSealed,
        now,
        MAX_WEBHOOK_ENDPOINTS,
        input.start.cursorPosition,
        JSON.stringify(input.start.shardCursors),
      ),
    d1.prepare(`SELECT ?1 IS NULL OR EXISTS (SELECT 1 FROM tenants WHERE id = ?1 AND deleted_at IS NULL) AS live`).bind(input.tenantId),
  ]);
  const row = inserted?.results[0];
  if (row) return { ok: true, endpoint: record(row) };
  return { ok: false, reason: check?.results[0]?.["live"] ? "limit" : "tenant_not_found" };
}

/** The tenant it follows (live, the one registered) and its shard: the control database's row. */
const STATE_COLUMNS = `w.*, ${TENANT_LIVE} AS tenant_live, (SELECT t.shard FROM tenants t WHERE t.id = w.tenant_id) AS tenant_shard`;

/** Feeds an endpoint may follow on one shard: `tenantId` null for the shard's whole feed. */
export interface FeedOnShard {
  key: string;
  tenantId: string | null;
}

/**
 * The last position of each feed on one data shard, in one statement: the
 * shard's last global seq (an all-tenants feed), or a tenant's last
 * tenant_seq (where pruning stopped, once all its events are pruned). An
 * index seek each.
 */
export async function feedEnds(rd: RequestDatabase, feeds: FeedOnShard[]): Promise<Map<string, number>> {
  if (feeds.length === 0) return new Map();
  const { results } = await rd.d1
    .prepare(
      `SELECT json_extract(j.value, '$[0]') AS key,
         CASE WHEN json_extract(j.value, '$[1]') IS NULL THEN ${LAST_SEQ}
         ELSE COALESCE((SELECT max(tenant_seq) FROM events WHERE tenant_id = json_extract(j.value, '$[1]')),
                       (SELECT events_pruned_through FROM tenant_stats WHERE tenant_id = json_extract(j.value, '$[1]')), 0) END AS feed_end
       FROM json_each(?1) j`,
    )
    .bind(JSON.stringify(feeds.map((f) => [f.key, f.tenantId])))
    .all<{ key: string; feed_end: number }>();
  return new Map(results.map((r) => [r.key, r.feed_end]));
}

/** An endpoint's position in the feed of one shard. */
export function positionOn(endpoint: EndpointCursor & { tenantId: string | null }, shard: string): number {
  if (endpoint.tenantId !== null) return endpoint.cursorPosition;
  return shard === "DB" ? endpoint.cursorPosition : (endpoint.shardCursors[shard] ?? 0);
}

/**
 * Where a new endpoint starts: the end of its feed now — its tenant's last
 * sequence on `shards[0]` (the tenant's shard), or every shard's last seq
 * for an all-tenants endpoint. Read before the endpoint is inserted, so an
 * event written meanwhile is sent (at least once), never missed.
 */
export async function webhookStart(shards: RequestDatabase[], tenantId: string | null): Promise<EndpointCursor> {
  const ends = await Promise.all(shards.map(async (rd) => [rd.binding, (await feedEnds(rd, [{ key: "end", tenantId }])).get("end") ?? 0] as const));
  if (tenantId !== null) return { cursorPosition: ends[0]?.[1] ?? 0, shardCursors: {} };
  const { DB, ...others } = Object.fromEntries(ends);
  return { cursorPosition: DB ?? 0, shardCursors: others };
}

/**
 * Each endpoint's backlog: positions after its cursor, before its type
 * filter — on its tenant's shard for a tenant's endpoint (0 once the tenant
 * is gone), summed over the data shards for an all-tenants one. One
 * statement per shard for all the endpoints (at most MAX_WEBHOOK_ENDPOINTS).
 */
async function withBacklogs(shards: RequestDatabase[], endpoints: WebhookEndpointState[]): Promise<WebhookEndpointStatus[]> {
  const backlog = new Map<string, number>();
  await Promise.all(
    shards.map(async (rd) => {
      const following = endpoints.filter((e) => (e.tenantId === null ? true : e.tenantShard === rd.binding));
      const ends = await feedEnds(rd, following.map((e) => ({ key: e.id, tenantId: e.tenantId })));
      for (const e of following) backlog.set(e.id, (backlog.get(e.id) ?? 0) + Math.max(0, (ends.get(e.id) ?? 0) - positionOn(e, rd.binding)));
    }),
  );
  return endpoints.map((e) => ({ ...e, backlog: backlog.get(e.id) ?? 0 }));
}

/** Every endpoint (at most MAX_WEBHOOK_ENDPOINTS), oldest first, with its backlog read on `shards` (every data shard): an index seek per endpoint and shard, not a count. */
export async function listWebhookEndpoints(d1: D1Database, shards: RequestDatabase[]): Promise<WebhookEndpointStatus[]> {
  const { results } = await d1.prepare(`SELECT ${STATE_COLUMNS} FROM webhook_endpoints w ORDER BY w.id`).all<Record<string, unknown>>();
  return withBacklogs(shards, results.map(state));
}

export async function getWebhookEndpoint(d1: D1Database, shards: RequestDatabase[], id: string): Promise<WebhookEndpointStatus | undefined> {
  const row = await d1.prepare(`SELECT ${STATE_COLUMNS} FROM webhook_endpoints w WHERE w.id = ?1`).bind(id).first<Record<string, unknown>>();
  return row ? (await withBacklogs(shards, [state(row)]))[0] : undefined;
}

/** Deletes an endpoint; a run delivering to it stops at its next state write (which then matches no row). */
export async function deleteWebhookEndpoint(d1: D1Database, id: string): Promise<boolean> {
  const done = await d1.prepare(`DELETE FROM webhook_endpoints WHERE id = ?1`).bind(id).run();
  return (done.meta.changes ?? 0) > 0;
}

export async function countWebhookEndpoints(d1: D1Database): Promise<number> {
  const row = await d1.prepare(`SELECT count(*) AS n FROM webhook_endpoints`).first<{ n: number }>();
  return row?.n ?? 0;
}

// ---------------------------------------------------------------------------
// Delivery (src/webhooks/delivery.ts). Every write below is guarded by the
// run's lease, so a run that outlived its lease cannot overwrite the state a
// newer run wrote.

/**
 * The endpoints a run may deliver to, in one statement on the control
 * database: due (the back-off has passed at `scheduledTime`), not leased by
 * a live run (`now`, the wall clock), and — for a tenant endpoint — its
 * tenant still live, with the shard it lives on. Reads the endpoints
 * (at most MAX_WEBHOOK_ENDPOINTS) and their tenants' rows; writes nothing.
 */
export async function dueEndpoints(d1: D1Database, due: { scheduledTime: number; now: number; limit: number }): Promise<WebhookEndpointState[]> {
  const { results } = await d1
    .prepare(
      `SELECT * FROM (SELECT ${STATE_COLUMNS} FROM webhook_endpoints w WHERE w.next_attempt_at <= ?1 AND (w.lease_until IS NULL OR w.lease_until <= ?2))
       WHERE tenant_live ORDER BY next_attempt_at, id LIMIT ?3`,
    )
    .bind(due.scheduledTime, due.now, due.limit)
    .all<Record<string, unknown>>();
  return results.map(state);
}

/** What to ask a shard: is there an event after `after` in this endpoint's feed (its tenant's, or the whole shard's)? */
export interface EventProbe {
  id: string;
  tenantId: string | null;
  after: number;
}

/**
 * The endpoints with an event after their position on one data shard, in
 * one statement: an index seek each. A move's copies count (the delivery
 * run passes over them), so an endpoint is never stuck behind them.
 */
export async function endpointsWithEvents(rd: RequestDatabase, probes: EventProbe[]): Promise<Set<string>> {
  if (probes.length === 0) return new Set();
  const { results } = await rd.d1
    .prepare(
      `SELECT json_extract(j.value, '$[0]') AS id FROM json_each(?1) j
       WHERE CASE WHEN json_extract(j.value, '$[1]') IS NULL THEN EXISTS (SELECT 1 FROM events WHERE seq > json_extract(j.value, '$[2]'))
                  ELSE EXISTS (SELECT 1 FROM events WHERE tenant_id = json_extract(j.value, '$[1]') AND tenant_seq > json_extract(j.value, '$[2]')) END`,
    )
    .bind(JSON.stringify(probes.map((p) => [p.id, p.tenantId, p.after])))
    .all<{ id: string }>();
  return new Set(results.map((r) => r.id));
}

/**
 * Leases the endpoints `ids` to a run (`owner`, until `leaseUntil`), in one
 * statement that checks again what dueEndpoints read — due, not leased,
 * tenant live — so of two overlapping runs only one gets an endpoint. An
 * idle endpoint is never written.
 */
export async function claimEndpoints(
  d1: D1Database,
  claim: { ids: string[]; owner: string; scheduledTime: number; now: number; leaseUntil: number },
): Promise<WebhookEndpointRecord[]> {
  if (claim.ids.length === 0) return [];
  const { results } = await d1
    .prepare(
      `UPDATE webhook_endpoints SET lease_owner = ?1, lease_until = ?2
       WHERE id IN (
         SELECT w.id FROM webhook_endpoints w
         WHERE w.id IN (SELECT value FROM json_each(?5))
           AND w.next_attempt_at <= ?3 AND (w.lease_until IS NULL OR w.lease_until <= ?4) AND ${TENANT_LIVE})
       RETURNING *`,
    )
    .bind(claim.owner, claim.leaseUntil, claim.scheduledTime, claim.now, JSON.stringify(claim.ids))
    .all<Record<string, unknown>>();
  return results.map(record).sort((a, b) => a.nextAttemptAt - b.nextAttemptAt || (a.id < b.id ? -1 : 1));
}

/**
 * The cursor's columns as a run holding the lease writes them: never back
 * (max() on `DB`'s position; the run merged the other shards' positions
 * from the ones it claimed, and only the lease holder writes them).
 */
const CURSOR_SET = `cursor_position = max(cursor_position, ?3), shard_cursors = ?4`;
const cursorParams = (c: EndpointCursor) => [c.cursorPosition, JSON.stringify(c.shardCursors)] as const;

/** The receiver acknowledged an event: the cursor moves past it and the back-off resets. False: the endpoint is gone or the lease lost. */
export async function recordDelivered(d1: D1Database, id: string, owner: string, to: EndpointCursor, at: number): Promise<boolean> {
  const done = await d1
    .prepare(
      `UPDATE webhook_endpoints SET ${CURSOR_SET}, failures = 0, next_attempt_at = 0, last_success_at = ?5, delivered = delivered + 1
       WHERE id = ?1 AND lease_owner = ?2`,
    )
    .bind(id, owner, ...cursorParams(to), at)
    .run();
  return (done.meta.changes ?? 0) > 0;
}

/**
 * An attempt failed: the cursor moves only past unsubscribed events before
 * the failed one (`cursor`), the failure count grows, the next attempt is
 * due at `nextAttemptAt`, and the lease is released.
 */
export async function recordFailure(
  d1: D1Database,
  id: string,
  owner: string,
  failure: { cursor: EndpointCursor; failures: number; nextAttemptAt: number; at: number; status: number | null; error: string; eventId: string | null },
): Promise<void> {
  await d1
    .prepare(
      `UPDATE webhook_endpoints SET ${CURSOR_SET}, failures = ?5, next_attempt_at = ?6,
         last_failure_at = ?7, last_failure_status = ?8, last_failure_error = ?9, last_failure_event_id = ?10,
         lease_owner = NULL, lease_until = NULL
       WHERE id = ?1 AND lease_owner = ?2`,
    )
    .bind(id, owner, ...cursorParams(failure.cursor), failure.failures, failure.nextAttemptAt, failure.at, failure.status, failure.error, failure.eventId)
    .run();
}

/**
 * Retention pruned events this endpoint had not got (it failed for longer
 * than the feed keeps events): the cursor moves past them and the lost
 * positions are counted, visibly, in `expired_undelivered`.
 */
export async function recordExpired(d1: D1Database, id: string, owner: string, cursor: EndpointCursor, expired: number): Promise<void> {
  await d1
    .prepare(`UPDATE webhook_endpoints SET ${CURSOR_SET}, expired_undelivered = expired_undelivered + ?5 WHERE id = ?1 AND lease_owner = ?2`)
    .bind(id, owner, ...cursorParams(cursor), expired)
    .run();
}

/** Ends a run's work on an endpoint: the cursor moves past the unsubscribed events it passed (never back), and the lease is released. */
export async function releaseEndpoint(d1: D1Database, id: string, owner: string, cursor: EndpointCursor): Promise<void> {
  await d1
    .prepare(`UPDATE webhook_endpoints SET ${CURSOR_SET}, lease_owner = NULL, lease_until = NULL WHERE id = ?1 AND lease_owner = ?2`)
    .bind(id, owner, ...cursorParams(cursor))
    .run();
}
