/**
 * The delivery run (the Cron Trigger WEBHOOK_CRON, every minute; docs/webhooks.md).
 *
 * The change feed is the outbox: each run claims the endpoints that are due
 * and have events after their cursor, reads those events from the feed, and
 * sends the subscribed ones in order, one request per event, signed per
 * Standard Webhooks. The cursor moves past an event only after a 2xx, so a
 * crash (of the worker, D1 or the receiver) at any point re-sends from the
 * first unacknowledged event next time: at least once, in order, never lost
 * while the event is kept. A failure stops the endpoint for this run and
 * schedules the next attempt by the back-off (src/webhooks/backoff.ts).
 *
 * Two clocks, on purpose:
 * - the run's `scheduledTime` plans: which endpoints are due, when the next
 *   attempt is. Miniflare's `GET /cdn-cgi/local/scheduled?cron=*+*+*+*+*&time=<ms>`
 *   under wrangler dev runs a delivery "at" any time, so tests step through
 *   the back-off without waiting;
 * - the wall clock (`clock`) times the run: its budget, the lease, the
 *   `webhook-timestamp` a receiver checks against its own clock, and the
 *   success / failure times shown in the listing.
 *
 * Across data shards (docs/sharding.md): endpoints are in the control
 * database, events on the data shards. A tenant's endpoint reads its
 * tenant's feed on the shard the control database names; an all-tenants
 * endpoint reads every shard's feed from its position there, merged by time,
 * each shard's events in order, leaving out the copies a tenant move made
 * (they were delivered from the shard they were written on). A shard that
 * cannot be read this run holds back only the endpoints that need it.
 *
 * Bounded work per run: at most EVENTS_PER_ENDPOINT_PER_RUN sends and
 * SCAN_PER_ENDPOINT feed rows per endpoint and shard (plus up to
 * COPIES_PASSED_PER_RUN rows of a move's copies), MAX_WEBHOOK_ENDPOINTS
 * endpoints, CONCURRENCY at a time (Workers allow six simultaneous
 * connections), and no send starts after TIME_BUDGET_MS. What is left waits
 * for the next minute.
 */
import type { Env } from "../env.js";
import { errorFields, log } from "../log.js";
import type { RequestDatabase } from "../storage/database.js";
import { readShardFeed } from "../feed/events.js";
import { onEveryShard } from "../storage/every-shard.js";
import { readEvents, type StoredEvent } from "../storage/events.js";
import {
  claimEndpoints,
  countWebhookEndpoints,
  dueEndpoints,
  endpointsWithEvents,
  MAX_WEBHOOK_ENDPOINTS,
  positionOn,
  recordDelivered,
  recordExpired,
  recordFailure,
  releaseEndpoint,
  type EndpointCursor,
  type EventProbe,
  type WebhookEndpointRecord,
  type WebhookEndpointState,
} from "../storage/webhooks.js";
import { nextAttemptAt, parseRetryAfter } from "./backoff.js";
import { webhookMessage } from "./payload.js";
import { isAcknowledged, planDeliveries, resumeAfterPruning, type Positions } from "./plan.js";
import { openSecret, SecretsKeyMissing, SecretUnreadable, sealingKey } from "./secrets.js";
import { signerFor, type Signer } from "./signing.js";

/** The cron expression (wrangler.toml) whose runs deliver webhooks, and do nothing else. */
export const WEBHOOK_CRON = "* * * * *";
export const EVENTS_PER_ENDPOINT_PER_RUN = 100;
/** Feed rows read per endpoint per run: more than the sends, so a narrow `types` filter still moves through a busy feed. */
export const SCAN_PER_ENDPOINT = 500;
/** Rows of a tenant move's copies an all-tenants endpoint may pass over per shard and run, on top (feed/events.ts readShardFeed). */
export const COPIES_PASSED_PER_RUN = 10_000;
/** No send starts later than this after the run began; with the request timeout, a run ends within the minute. */
export const TIME_BUDGET_MS = 30_000;
/** Standard Webhooks, "Request timeouts": 15 to 30 s. */
export const REQUEST_TIMEOUT_MS = 15_000;
export const CONCURRENCY = 6;
/** A run's claim on an endpoint; longer than any run, so only a crashed run's lease ever expires. */
const LEASE_MS = TIME_BUDGET_MS + REQUEST_TIMEOUT_MS + 15_000;
const USER_AGENT = "scim-edge-webhooks/1";

export type Sender = (url: string, init: RequestInit) => Promise<Response>;

export interface DeliveryOptions {
  /** How a request is sent: fetch. Tests inside workerd pass a receiver function here. */
  send?: Sender;
  /** The wall clock (ms). */
  clock?: () => number;
  budgetMs?: number;
  requestTimeoutMs?: number;
  eventsPerEndpoint?: number;
}

export interface DeliveryReport {
  /** Endpoints claimed (due, with events after their cursor). */
  endpoints: number;
  delivered: number;
  failed: number;
  /** Events passed over because the endpoint does not subscribe to their type. */
  skipped: number;
  /** Positions retention pruned before their endpoint got them. */
  expired: number;
  /** False when the budget or a per-endpoint bound left events for the next run. */
  complete: boolean;
}

type FailureKind = "http_status" | "redirect" | "timeout" | "network" | "secret_unreadable";
type Outcome = { ok: true } | { ok: false; status: number | null; error: FailureKind; retryAfterMs?: number };

interface Run {
  env: Env;
  key: CryptoKey;
  owner: string;
  scheduledTime: number;
  deadline: number;
  clock: () => number;
  send: Sender;
  timeoutMs: number;
  eventsPerEndpoint: number;
  /** The data shards this run can read, in DATA_SHARDS order. */
  shards: Map<string, RequestDatabase>;
  report: DeliveryReport;
}

/** A claimed endpoint and the shard of the tenant it follows (null: every tenant's). */
type Claimed = WebhookEndpointRecord & { tenantShard: string | null };

/** The shards whose feeds an endpoint follows this run: its tenant's, or every readable one. */
function streamsOf(run: Run, endpoint: Claimed): string[] {
  if (endpoint.tenantId === null) return [...run.shards.keys()];
  return endpoint.tenantShard !== null && run.shards.has(endpoint.tenantShard) ? [endpoint.tenantShard] : [];
}

/** The endpoint's stored cursor with the positions a run reached written in. */
function cursorOf(endpoint: Claimed, positions: Positions): EndpointCursor {
  if (endpoint.tenantId !== null) {
    const reached = endpoint.tenantShard === null ? undefined : positions[endpoint.tenantShard];
    return { cursorPosition: reached ?? endpoint.cursorPosition, shardCursors: endpoint.shardCursors };
  }
  const { DB, ...others } = positions;
  return { cursorPosition: DB ?? endpoint.cursorPosition, shardCursors: { ...endpoint.shardCursors, ...others } };
}

/** Where an event sits in the endpoint's feed: the tenant's sequence, or the order of the shard it was read on. */
const positionIn = (endpoint: WebhookEndpointRecord, e: StoredEvent) => (endpoint.tenantId !== null ? e.tenantSeq : e.seq);

async function attempt(run: Run, url: string, headers: Record<string, string>, body: string): Promise<Outcome> {
  let res: Response;
  try {
    res = await run.send(url, {
      method: "POST",
      headers: { ...headers, "user-agent": USER_AGENT },
      body,
      // Standard Webhooks, "Delivery success and failure": a 3xx is a failure, not followed.
      redirect: "manual",
      signal: AbortSignal.timeout(run.timeoutMs),
    });
  } catch (err) {
    const name = err instanceof Error || err instanceof DOMException ? err.name : "";
    return { ok: false, status: null, error: name === "TimeoutError" || name === "AbortError" ? "timeout" : "network" };
  }
  // The answer's body is not needed: release the connection.
  await res.body?.cancel().catch(() => undefined);
  if (isAcknowledged(res.status)) return { ok: true };
  const retryAfterMs = parseRetryAfter(res.headers.get("retry-after"), run.clock());
  return {
    ok: false,
    status: res.status,
    error: res.status >= 300 && res.status < 400 ? "redirect" : "http_status",
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  };
}

async function fail(run: Run, endpoint: Claimed, failures: number, cursor: EndpointCursor, eventId: string | null, outcome: Outcome & { ok: false }) {
  const next = nextAttemptAt(run.scheduledTime, failures, outcome.retryAfterMs);
  await recordFailure(run.env.DB, endpoint.id, run.owner, {
    cursor,
    failures,
    nextAttemptAt: next,
    at: run.clock(),
    status: outcome.status,
    error: outcome.error,
    eventId,
  });
  run.report.failed += 1;
  // The host, never the URL: a receiver's URL may carry its own token in the query.
  log(outcome.error === "secret_unreadable" ? "error" : "warn", {
    type: "webhook-delivery-failed",
    webhookId: endpoint.id,
    tenantId: endpoint.tenantId,
    host: new URL(endpoint.url).host,
    eventId,
    status: outcome.status,
    error: outcome.error,
    failures,
    nextAttemptAt: new Date(next).toISOString(),
  });
}

async function deliverTo(run: Run, endpoint: Claimed): Promise<void> {
  const d1 = run.env.DB;
  const streams = streamsOf(run, endpoint);
  const positions: Positions = Object.fromEntries(streams.map((shard) => [shard, positionOn(endpoint, shard)]));
  const pages = await Promise.all(
    streams.map((shard) => {
      const rd = run.shards.get(shard)!;
      const after = positions[shard]!;
      return endpoint.tenantId !== null
        ? readEvents(rd, { tenantId: endpoint.tenantId, after, limit: SCAN_PER_ENDPOINT })
        : readShardFeed(rd, { after, limit: SCAN_PER_ENDPOINT }, COPIES_PASSED_PER_RUN);
    }),
  );
  let expired = 0;
  streams.forEach((shard, i) => {
    const resumed = resumeAfterPruning(positions[shard]!, pages[i]!.prunedThrough);
    positions[shard] = resumed.cursor;
    expired += resumed.expired;
  });
  if (expired > 0) {
    await recordExpired(d1, endpoint.id, run.owner, cursorOf(endpoint, positions), expired);
    run.report.expired += expired;
    log("error", { type: "webhook-events-expired", webhookId: endpoint.id, tenantId: endpoint.tenantId, expired, resumedAfter: positions });
  }
  const plan = planDeliveries(
    positions,
    streams.map((shard, i) => ({
      stream: shard,
      events: pages[i]!.events.map((e) => ({ position: positionIn(endpoint, e), type: e.type, occurredAt: e.occurredAt, stored: e })),
      end: pages[i]!.position,
    })),
    endpoint.types,
    run.eventsPerEndpoint,
  );
  run.report.skipped += plan.skipped;
  // A shard's page read to its bound: more may wait there for the next run.
  const more = pages.some((p) => p.more);
  if (plan.sends.length === 0) {
    await releaseEndpoint(d1, endpoint.id, run.owner, cursorOf(endpoint, plan.cursorAtEnd));
    if (more) run.report.complete = false;
    return;
  }

  let sign: Signer;
  try {
    sign = signerFor(await openSecret(run.key, endpoint.id, endpoint.secretSealed));
  } catch (err) {
    if (!(err instanceof SecretUnreadable)) throw err;
    // WEBHOOK_SECRETS_KEY changed since the endpoint was registered: nothing can be signed until it is restored.
    await fail(run, endpoint, endpoint.failures + 1, cursorOf(endpoint, plan.sends[0]!.cursorBefore), null, { ok: false, status: null, error: "secret_unreadable" });
    return;
  }

  let failures = endpoint.failures;
  for (const step of plan.sends) {
    if (run.clock() >= run.deadline) {
      run.report.complete = false;
      await releaseEndpoint(d1, endpoint.id, run.owner, cursorOf(endpoint, step.cursorBefore));
      return;
    }
    // The webhook-id is the event's id, which names the shard it was first written on (feed/events.ts).
    const message = webhookMessage(step.event.stored, step.stream);
    const outcome = await attempt(run, endpoint.url, sign(message.id, message.body, new Date(run.clock())), message.body);
    if (!outcome.ok) {
      await fail(run, endpoint, failures + 1, cursorOf(endpoint, step.cursorBefore), message.id, outcome);
      return;
    }
    run.report.delivered += 1;
    failures = 0;
    // No row updated: the endpoint was deleted meanwhile (or, after a stall past the lease, another run took over).
    if (!(await recordDelivered(d1, endpoint.id, run.owner, cursorOf(endpoint, step.cursorAfter), run.clock()))) return;
  }
  await releaseEndpoint(d1, endpoint.id, run.owner, cursorOf(endpoint, plan.cursorAtEnd));
  if (plan.sends.length === run.eventsPerEndpoint || more) run.report.complete = false;
}

/**
 * The endpoints this run delivers to: due ones (control database), those
 * with an event after their position (asked of each shard they follow, one
 * statement per shard), leased to this run (control database again, which
 * checks due-ness once more so overlapping runs never share an endpoint).
 */
async function claimDue(run: Run, due: WebhookEndpointState[], started: number): Promise<Claimed[]> {
  const probes = new Map<string, EventProbe[]>();
  for (const e of due) {
    const shards = e.tenantId === null ? [...run.shards.keys()] : e.tenantShard !== null && run.shards.has(e.tenantShard) ? [e.tenantShard] : [];
    for (const shard of shards) probes.set(shard, [...(probes.get(shard) ?? []), { id: e.id, tenantId: e.tenantId, after: positionOn(e, shard) }]);
  }
  const found = await Promise.all(
    [...probes].map(async ([shard, list]) => {
      try {
        return await endpointsWithEvents(run.shards.get(shard)!, list);
      } catch (err) {
        // This shard's endpoints wait; the others go on.
        run.report.complete = false;
        log("error", { type: "webhook-shard-failed", shard, ...errorFields(err) });
        return new Set<string>();
      }
    }),
  );
  const withEvents = new Set(found.flatMap((set) => [...set]));
  const claimed = await claimEndpoints(run.env.DB, {
    ids: due.filter((e) => withEvents.has(e.id)).map((e) => e.id),
    owner: run.owner,
    scheduledTime: run.scheduledTime,
    now: started,
    leaseUntil: started + LEASE_MS,
  });
  const shardOf = new Map(due.map((e) => [e.id, e.tenantShard]));
  return claimed.map((e) => ({ ...e, tenantShard: shardOf.get(e.id) ?? null }));
}

/** One delivery run at `scheduledTime`. */
export async function deliverWebhooks(env: Env, scheduledTime: number, options: DeliveryOptions = {}): Promise<DeliveryReport> {
  const clock = options.clock ?? Date.now;
  const report: DeliveryReport = { endpoints: 0, delivered: 0, failed: 0, skipped: 0, expired: 0, complete: true };
  let key: CryptoKey;
  try {
    key = await sealingKey(env.WEBHOOK_SECRETS_KEY);
  } catch (err) {
    if (!(err instanceof SecretsKeyMissing)) throw err;
    // Said once a minute, but only to a deployment that has endpoints it cannot serve.
    if ((await countWebhookEndpoints(env.DB)) > 0) log("error", { type: "webhook-secrets-key-missing", detail: err.message });
    return report;
  }
  const started = clock();
  const due = await dueEndpoints(env.DB, { scheduledTime, now: started, limit: MAX_WEBHOOK_ENDPOINTS });
  // Nothing due: no shard is asked anything.
  if (due.length === 0) return report;
  const shards = new Map<string, RequestDatabase>();
  for (const opened of await onEveryShard(env, async (rd) => rd)) {
    if (opened.ok) shards.set(opened.shard, opened.value);
    else {
      report.complete = false;
      log("error", { type: "webhook-shard-failed", shard: opened.shard, ...errorFields(opened.error) });
    }
  }
  const run: Run = {
    env,
    key,
    owner: crypto.randomUUID(),
    scheduledTime,
    deadline: started + (options.budgetMs ?? TIME_BUDGET_MS),
    clock,
    send: options.send ?? ((url, init) => fetch(url, init)),
    timeoutMs: options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS,
    eventsPerEndpoint: options.eventsPerEndpoint ?? EVENTS_PER_ENDPOINT_PER_RUN,
    shards,
    report,
  };
  const claimed = await claimDue(run, due, started);
  report.endpoints = claimed.length;
  const queue = [...claimed];
  const worker = async () => {
    for (let endpoint = queue.shift(); endpoint !== undefined; endpoint = queue.shift()) {
      try {
        await deliverTo(run, endpoint);
      } catch (err) {
        // One endpoint's trouble (a D1 error) does not stop the others; its lease lapses and the next run retries.
        report.complete = false;
        log("error", { type: "webhook-endpoint-failed", webhookId: endpoint.id, ...errorFields(err) });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, queue.length) }, worker));
  return report;
}

/** The cron's entry: one run, one log line when there was anything to do. */
export async function runWebhookDeliveries(env: Env, scheduledTime: number): Promise<void> {
  const started = Date.now();
  try {
    const report = await deliverWebhooks(env, scheduledTime);
    if (report.endpoints > 0) {
      log(report.complete ? "info" : "warn", { type: "webhook-deliveries", ...report, scheduledTime: new Date(scheduledTime).toISOString(), durationMs: Date.now() - started });
    }
  } catch (err) {
    // As for the licence sweep (src/scheduled.ts): a redacted line, and an error that says only where to look.
    log("error", { type: "webhook-deliveries-failed", ...errorFields(err) });
    // eslint-disable-next-line preserve-caught-error
    throw new Error("Webhook delivery run failed; see the log line of type webhook-deliveries-failed.");
  }
}
