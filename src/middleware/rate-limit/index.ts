import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../../context.js";
import { log } from "../../log.js";
import { ScimError, scimErrorResponse } from "../../scim/errors.js";
import { TENANT_ID_PATTERN } from "../../storage/tenants.js";
import { sha256Hex } from "../../storage/tokens.js";

/**
 * Per-tenant rate limits of the SCIM API, on the platform's own mechanism:
 * the Workers Rate Limiting binding (`[[ratelimits]]` in wrangler.toml,
 * simulated by `wrangler dev` and the vitest pool). Its counters live at the
 * Cloudflare location that serves the request and cost no D1 or KV
 * operation, which suits a budget meant to stop one tenant's runaway client
 * from starving the others; it is not an exact global count (a Durable
 * Object would be, at the price of a round trip to one place per request).
 *
 * Two budgets, both keyed by the tenant id of the URL, so other tenants are
 * never affected:
 *
 * - `SCIM_RATE_LIMIT` (tenantRateLimit): authenticated requests, by default
 *   1,000 per 10 s. Counted after authentication, so requests with a wrong
 *   token cannot spend a tenant's budget and lock its identity provider out.
 * - `SCIM_AUTH_FAILURE_LIMIT` (authFailureThrottle): failed
 *   authentications, by default 20 per minute. Past it the answer is 429
 *   instead of 401, and this isolate stops checking, until the period ends,
 *   any credential it has not seen succeed for that tenant: it answers 429
 *   without reading KV, so a guessed token could not be told from a wrong
 *   one. Credentials that authenticated here before keep working, so the
 *   tenant's own identity provider is not locked out by someone else's
 *   guesses (in an isolate that never saw it, it gets 429 + Retry-After,
 *   which Entra and Okta honour).
 *
 * Past a budget: 429 with `Retry-After` (seconds) and a SCIM error body
 * (RFC 7644 §3.12; RFC 6585 §4 for 429 and Retry-After). The binding tells
 * only "over" or not, not when its window ends, so Retry-After is the whole
 * period — never too early. A missing binding means no limit (an older
 * configuration keeps working); a binding that fails lets the request
 * through with a warning: a limiter outage must not become a SCIM outage.
 */

/** The `period` of SCIM_RATE_LIMIT in wrangler.toml (the binding does not expose it). */
export const TENANT_PERIOD_SECONDS = 10;
/** The `period` of SCIM_AUTH_FAILURE_LIMIT in wrangler.toml. */
export const AUTH_FAILURE_PERIOD_SECONDS = 60;
/** Credentials remembered per tenant as having authenticated in this isolate. */
const TRUSTED_PER_TENANT = 16;
/** Tenants whose throttle state an isolate keeps (memory bound). */
const MAX_TENANTS = 10_000;

function tooManyRequests(detail: string, retryAfterSeconds: number): ScimError {
  return new ScimError(429, detail, undefined, { "Retry-After": String(Math.max(1, Math.ceil(retryAfterSeconds))) });
}

async function overBudget(limiter: RateLimit, key: string, binding: string): Promise<boolean> {
  try {
    return !(await limiter.limit({ key })).success;
  } catch (err) {
    log("warn", { type: "rate-limit-unavailable", binding, error: err instanceof Error ? err.name : typeof err });
    return false;
  }
}

/** Runs after authentication: `tenantId` is the verified tenant. */
export const tenantRateLimit = createMiddleware<AppEnv>(async (c, next) => {
  const limiter = c.env.SCIM_RATE_LIMIT;
  if (limiter && (await overBudget(limiter, c.get("tenantId"), "SCIM_RATE_LIMIT"))) {
    throw tooManyRequests(
      `Too many requests for this tenant: its budget is per ${TENANT_PERIOD_SECONDS} seconds. Retry after the Retry-After delay.`,
      TENANT_PERIOD_SECONDS,
    );
  }
  await next();
});

interface Throttle {
  /** Until when (ms) this isolate answers 429 to credentials it has not seen succeed. */
  lockedUntil: number;
  /** SHA-256 of Authorization headers that authenticated for this tenant here, oldest first. */
  trusted: string[];
}

const throttles = new Map<string, Throttle>();

function throttleOf(tenantId: string): Throttle {
  let t = throttles.get(tenantId);
  if (!t) {
    if (throttles.size >= MAX_TENANTS) throttles.clear();
    t = { lockedUntil: 0, trusted: [] };
    throttles.set(tenantId, t);
  }
  return t;
}

function throttled(retryAfterSeconds: number): Response {
  return scimErrorResponse(
    tooManyRequests("Too many failed authentications for this tenant URL. Retry after the Retry-After delay with a valid token.", retryAfterSeconds),
  );
}

/**
 * Wraps authentication (and everything after it): a 401 from below counts
 * as a failure of the tenant in the URL. Runs before any KV read.
 */
export const authFailureThrottle = createMiddleware<AppEnv>(async (c, next) => {
  const limiter = c.env.SCIM_AUTH_FAILURE_LIMIT;
  const tenantId = c.req.param("tenantId") ?? "";
  // A malformed id is refused by scimBearerAuth before any read; it names no tenant to count for.
  if (!limiter || !TENANT_ID_PATTERN.test(tenantId)) return next();
  const credential = await sha256Hex(c.req.header("authorization") ?? "");
  const existing = throttles.get(tenantId);
  const now = Date.now();
  if (existing && existing.lockedUntil > now && !existing.trusted.includes(credential)) {
    return throttled((existing.lockedUntil - now) / 1000);
  }
  await next();
  if (c.res.status === 401) {
    if (await overBudget(limiter, tenantId, "SCIM_AUTH_FAILURE_LIMIT")) {
      throttleOf(tenantId).lockedUntil = Date.now() + AUTH_FAILURE_PERIOD_SECONDS * 1000;
      // Replaced, not merged: Hono would copy the 401's headers (WWW-Authenticate) onto the 429.
      c.res = undefined;
      c.res = throttled(AUTH_FAILURE_PERIOD_SECONDS);
    }
  } else if (c.get("tenantId") === tenantId) {
    const t = throttleOf(tenantId);
    if (!t.trusted.includes(credential)) {
      t.trusted.push(credential);
      if (t.trusted.length > TRUSTED_PER_TENANT) t.trusted.shift();
    }
  }
});
