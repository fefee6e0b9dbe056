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
 */
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
  cursorPosition: number;
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

/** An endpoint as the admin API lists it: the record, how far behind it is, whether its tenant still exists. */
export interface WebhookEndpointStatus extends WebhookEndpointRecord {
  /** Events written after its cursor, before its type filter (docs/webhooks.md, "Delivery state"). */
  backlog: number;
  /** False once the tenant it follows was deleted (or deleted and created again). */
  tenantLive: boolean;
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

/** The last position of the feed an endpoint follows: the tenant's last tenant_seq (?1) or, for NULL, the global seq. */
const FEED_END = (tenantColumn: string) => `CASE WHEN ${tenantColumn} IS NULL THEN ${LAST_SEQ}
  ELSE COALESCE((SELECT max(tenant_seq) FROM events WHERE tenant_id = ${tenantColumn}),
                (SELECT events_pruned_through FROM tenant_stats WHERE tenant_id = ${tenantColumn}), 0) END`;

/** Whether the tenant an endpoint follows is the one it was registered for and is live (always true for all-tenants endpoints). */
const TENANT_LIVE = `(w.tenant_id IS NULL OR EXISTS (SELECT 1 FROM tenants t
  WHERE t.id = w.tenant_id AND t.created_at = w.tenant_created_at AND t.deleted_at IS NULL))`;

/**
 * Registers an endpoint, in one statement: guarded by its tenant being live
 * (when it names one) and by MAX_WEBHOOK_ENDPOINTS, so concurrent creates
 * cannot pass the bound. It starts at the end of its feed: it receives the
 * events written after it was registered (the feed has the history).
 */
export async function createWebhookEndpoint(
  d1: D1Database,
  input: { id: string; url: string; tenantId: string | null; types: string[] | null; secretSealed: string },
  now: number = Date.now(),
): Promise<CreateEndpointResult> {
  const [inserted, check] = await d1.batch<Record<string, unknown>>([
    d1
      .prepare(
        `INSERT INTO webhook_endpoints (id, url, tenant_id, tenant_created_at, types, secret_sealed, created_at, cursor_position)
         SELECT ?1, ?2, ?3, t.created_at, ?4, ?5, ?6, ${FEED_END("?3")}
         FROM (SELECT 1) one LEFT JOIN tenants t ON t.id = ?3 AND t.deleted_at IS NULL
         WHERE (?3 IS NULL OR t.id IS NOT NULL) AND (SELECT count(*) FROM webhook_endpoints) < ?7
         RETURNING *`,
      )
      .bind(input.id, input.url, input.tenantId, input.types === null ? null : JSON.stringify(input.types), input.secretSealed, now, MAX_WEBHOOK_ENDPOINTS),
    d1.prepare(`SELECT ?1 IS NULL OR EXISTS (SELECT 1 FROM tenants WHERE id = ?1 AND deleted_at IS NULL) AS live`).bind(input.tenantId),
  ]);
  const row = inserted?.results[0];
  if (row) return { ok: true, endpoint: record(row) };
  return { ok: false, reason: check?.results[0]?.["live"] ? "limit" : "tenant_not_found" };
}

const STATUS_COLUMNS = `w.*, ${TENANT_LIVE} AS tenant_live, max(0, ${FEED_END("w.tenant_id")} - w.cursor_position) AS backlog`;

function status(r: Record<string, unknown>): WebhookEndpointStatus {
  return { ...record(r), backlog: Number(r.backlog ?? 0), tenantLive: Boolean(r.tenant_live) };
}

/** Every endpoint (at most MAX_WEBHOOK_ENDPOINTS), oldest first, with its backlog: an index seek per endpoint, not a count. */
export async function listWebhookEndpoints(d1: D1Database): Promise<WebhookEndpointStatus[]> {
  const { results } = await d1.prepare(`SELECT ${STATUS_COLUMNS} FROM webhook_endpoints w ORDER BY w.id`).all<Record<string, unknown>>();
  return results.map(status);
}

export async function getWebhookEndpoint(d1: D1Database, id: string): Promise<WebhookEndpointStatus | undefined> {
  const row = await d1.prepare(`SELECT ${STATUS_COLUMNS} FROM webhook_endpoints w WHERE w.id = ?1`).bind(id).first<Record<string, unknown>>();
  return row ? status(row) : undefined;
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
 * Claims the endpoints a run should deliver to, in one statement: due (the
 * back-off has passed at `scheduledTime`), not leased by a live run
 * (`now`, the wall clock), with an event after the cursor, and — for a
 * tenant endpoint — its tenant still live. Each gets the lease
 * (`owner`, until `leaseUntil`). An idle endpoint costs an index seek and no
 * write.
 */
export async function claimDueEndpoints(
  d1: D1Database,
  claim: { owner: string; scheduledTime: number; now: number; leaseUntil: number; limit: number },
): Promise<WebhookEndpointRecord[]> {
  const { results } = await d1
    .prepare(
      `UPDATE webhook_endpoints SET lease_owner = ?1, lease_until = ?2
       WHERE id IN (
         SELECT w.id FROM webhook_endpoints w
         WHERE w.next_attempt_at <= ?3 AND (w.lease_until IS NULL OR w.lease_until <= ?4) AND ${TENANT_LIVE}
           AND CASE WHEN w.tenant_id IS NULL THEN EXISTS (SELECT 1 FROM events WHERE seq > w.cursor_position)
                    ELSE EXISTS (SELECT 1 FROM events WHERE tenant_id = w.tenant_id AND tenant_seq > w.cursor_position) END
         ORDER BY w.next_attempt_at, w.id
         LIMIT ?5)
       RETURNING *`,
    )
    .bind(claim.owner, claim.leaseUntil, claim.scheduledTime, claim.now, claim.limit)
    .all<Record<string, unknown>>();
  return results.map(record).sort((a, b) => a.nextAttemptAt - b.nextAttemptAt || (a.id < b.id ? -1 : 1));
}

/** The receiver acknowledged the event at `to`: the cursor moves there and the back-off resets. False: the endpoint is gone or the lease lost. */
export async function recordDelivered(d1: D1Database, id: string, owner: string, to: number, at: number): Promise<boolean> {
  const done = await d1
    .prepare(
      `UPDATE webhook_endpoints SET cursor_position = ?3, failures = 0, next_attempt_at = 0, last_success_at = ?4, delivered = delivered + 1
       WHERE id = ?1 AND lease_owner = ?2 AND cursor_position < ?3`,
    )
    .bind(id, owner, to, at)
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
  failure: { cursor: number; failures: number; nextAttemptAt: number; at: number; status: number | null; error: string; eventId: string | null },
): Promise<void> {
  await d1
    .prepare(
      `UPDATE webhook_endpoints SET cursor_position = max(cursor_position, ?3), failures = ?4, next_attempt_at = ?5,
         last_failure_at = ?6, last_failure_status = ?7, last_failure_error = ?8, last_failure_event_id = ?9,
         lease_owner = NULL, lease_until = NULL
       WHERE id = ?1 AND lease_owner = ?2`,
    )
    .bind(id, owner, failure.cursor, failure.failures, failure.nextAttemptAt, failure.at, failure.status, failure.error, failure.eventId)
    .run();
}

/**
 * Retention pruned events this endpoint had not got (it failed for longer
 * than the feed keeps events): the cursor moves past them and the lost
 * positions are counted, visibly, in `expired_undelivered`.
 */
export async function recordExpired(d1: D1Database, id: string, owner: string, cursor: number, expired: number): Promise<void> {
  await d1
    .prepare(
      `UPDATE webhook_endpoints SET cursor_position = max(cursor_position, ?3), expired_undelivered = expired_undelivered + ?4
       WHERE id = ?1 AND lease_owner = ?2`,
    )
    .bind(id, owner, cursor, expired)
    .run();
}

/** Ends a run's work on an endpoint: the cursor moves past the unsubscribed events it passed (never back), and the lease is released. */
export async function releaseEndpoint(d1: D1Database, id: string, owner: string, cursor: number): Promise<void> {
  await d1
    .prepare(`UPDATE webhook_endpoints SET cursor_position = max(cursor_position, ?3), lease_owner = NULL, lease_until = NULL WHERE id = ?1 AND lease_owner = ?2`)
    .bind(id, owner, cursor)
    .run();
}
