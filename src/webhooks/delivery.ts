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
 *   attempt is. `GET /__scheduled?cron=*+*+*+*+*&time=<ms>` under wrangler
 *   dev runs a delivery "at" any time, so tests step through the back-off
 *   without waiting;
 * - the wall clock (`clock`) times the run: its budget, the lease, the
 *   `webhook-timestamp` a receiver checks against its own clock, and the
 *   success / failure times shown in the listing.
 *
 * Bounded work per run: at most EVENTS_PER_ENDPOINT_PER_RUN sends and
 * SCAN_PER_ENDPOINT feed rows per endpoint, MAX_WEBHOOK_ENDPOINTS endpoints,
 * CONCURRENCY at a time (Workers allow six simultaneous connections), and no
 * send starts after TIME_BUDGET_MS. What is left waits for the next minute.
 */
import type { Env } from "../env.js";
import { errorFields, log } from "../log.js";
import { dbFor } from "../storage/database.js";
import { readEvents, type StoredEvent } from "../storage/events.js";
import {
  claimDueEndpoints,
  countWebhookEndpoints,
  MAX_WEBHOOK_ENDPOINTS,
  recordDelivered,
  recordExpired,
  recordFailure,
  releaseEndpoint,
  type WebhookEndpointRecord,
} from "../storage/webhooks.js";
import { nextAttemptAt, parseRetryAfter } from "./backoff.js";
import { webhookMessage } from "./payload.js";
import { isAcknowledged, planDeliveries, resumeAfterPruning } from "./plan.js";
import { openSecret, SecretsKeyMissing, SecretUnreadable, sealingKey } from "./secrets.js";
import { signerFor, type Signer } from "./signing.js";

/** The cron expression (wrangler.toml) whose runs deliver webhooks, and do nothing else. */
export const WEBHOOK_CRON = "* * * * *";
export const EVENTS_PER_ENDPOINT_PER_RUN = 100;
/** Feed rows read per endpoint per run: more than the sends, so a narrow `types` filter still moves through a busy feed. */
export const SCAN_PER_ENDPOINT = 500;
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
  report: DeliveryReport;
}

/** Where an event sits in the endpoint's feed: the tenant's sequence, or the global order. */
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

async function fail(run: Run, endpoint: WebhookEndpointRecord, failures: number, cursor: number, eventId: string | null, outcome: Outcome & { ok: false }) {
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

async function deliverTo(run: Run, endpoint: WebhookEndpointRecord): Promise<void> {
  const d1 = run.env.DB;
  const page = await readEvents(dbFor(d1), {
    ...(endpoint.tenantId !== null ? { tenantId: endpoint.tenantId } : {}),
    after: endpoint.cursorPosition,
    limit: SCAN_PER_ENDPOINT,
  });
  let cursor = endpoint.cursorPosition;
  const resumed = resumeAfterPruning(cursor, page.prunedThrough);
  if (resumed.expired > 0) {
    cursor = resumed.cursor;
    await recordExpired(d1, endpoint.id, run.owner, cursor, resumed.expired);
    run.report.expired += resumed.expired;
    log("error", { type: "webhook-events-expired", webhookId: endpoint.id, tenantId: endpoint.tenantId, expired: resumed.expired, resumedAfter: cursor });
  }
  const plan = planDeliveries(
    cursor,
    page.events.map((e) => ({ position: positionIn(endpoint, e), type: e.type, stored: e })),
    endpoint.types,
    run.eventsPerEndpoint,
  );
  run.report.skipped += plan.skipped;
  if (plan.sends.length === 0) {
    await releaseEndpoint(d1, endpoint.id, run.owner, plan.cursorAtEnd);
    if (page.events.length === SCAN_PER_ENDPOINT) run.report.complete = false;
    return;
  }

  let sign: Signer;
  try {
    sign = signerFor(await openSecret(run.key, endpoint.id, endpoint.secretSealed));
  } catch (err) {
    if (!(err instanceof SecretUnreadable)) throw err;
    // WEBHOOK_SECRETS_KEY changed since the endpoint was registered: nothing can be signed until it is restored.
    await fail(run, endpoint, endpoint.failures + 1, plan.sends[0]!.cursorBefore, null, { ok: false, status: null, error: "secret_unreadable" });
    return;
  }

  let failures = endpoint.failures;
  for (const step of plan.sends) {
    if (run.clock() >= run.deadline) {
      run.report.complete = false;
      await releaseEndpoint(d1, endpoint.id, run.owner, step.cursorBefore);
      return;
    }
    const message = webhookMessage(step.event.stored, "DB");
    const outcome = await attempt(run, endpoint.url, sign(message.id, message.body, new Date(run.clock())), message.body);
    if (!outcome.ok) {
      await fail(run, endpoint, failures + 1, step.cursorBefore, message.id, outcome);
      return;
    }
    run.report.delivered += 1;
    failures = 0;
    // No row updated: the endpoint was deleted meanwhile (or, after a stall past the lease, another run took over).
    if (!(await recordDelivered(d1, endpoint.id, run.owner, step.cursorAfter, run.clock()))) return;
  }
  await releaseEndpoint(d1, endpoint.id, run.owner, plan.cursorAtEnd);
  if (plan.sends.length === run.eventsPerEndpoint || page.events.length === SCAN_PER_ENDPOINT) run.report.complete = false;
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
  const owner = crypto.randomUUID();
  const claimed = await claimDueEndpoints(env.DB, { owner, scheduledTime, now: started, leaseUntil: started + LEASE_MS, limit: MAX_WEBHOOK_ENDPOINTS });
  report.endpoints = claimed.length;
  const run: Run = {
    env,
    key,
    owner,
    scheduledTime,
    deadline: started + (options.budgetMs ?? TIME_BUDGET_MS),
    clock,
    send: options.send ?? ((url, init) => fetch(url, init)),
    timeoutMs: options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS,
    eventsPerEndpoint: options.eventsPerEndpoint ?? EVENTS_PER_ENDPOINT_PER_RUN,
    report,
  };
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
    // As for the licence sweep (src/index.ts): a redacted line, and an error that says only where to look.
    log("error", { type: "webhook-deliveries-failed", ...errorFields(err) });
    // eslint-disable-next-line preserve-caught-error
    throw new Error("Webhook delivery run failed; see the log line of type webhook-deliveries-failed.");
  }
}
