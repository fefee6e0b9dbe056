/**
 * When a failed delivery is tried again. Pure.
 *
 * Exponential back-off (Standard Webhooks, "Deliverability and
 * reliability"): after the n-th consecutive failure of an endpoint, the next
 * attempt is due FIRST_RETRY_MS × BACKOFF_FACTOR^(n−1) later, capped at
 * MAX_RETRY_DELAY_MS:
 *
 *   30 s, 2 min, 8 min, 32 min, 2 h 8 min, then every 6 h
 *
 * The delivery cron runs every minute, so a delay is served at the first run
 * at or after it: the first retry comes at the next minute's run (within a
 * minute of the failure), and later ones within a minute of their time.
 * Delivery never gives up on its own — at least once, and the event stays in
 * the feed until retention (EVENT_RETENTION_DAYS) — so the cap, not a retry
 * count, bounds the wait once a receiver is back.
 *
 * No random jitter: the specification suggests it against retries that
 * synchronise into load spikes, but here an endpoint has at most one request
 * in flight (events go in order, one after the other), and runs happen on
 * whole minutes anyway.
 *
 * A `Retry-After` from the receiver (RFC 9110 §10.2.3; Standard Webhooks,
 * "Delivery success and failure": "should be taken into consideration") can
 * lengthen the wait, never shorten it, and is capped like the back-off.
 */

export const FIRST_RETRY_MS = 30_000;
export const BACKOFF_FACTOR = 4;
export const MAX_RETRY_DELAY_MS = 6 * 60 * 60_000;

/** The wait after `failures` consecutive failures (0 → none). */
export function retryDelayMs(failures: number): number {
  if (!(failures >= 1)) return 0;
  // The exponent is bounded so that the power stays finite for any count.
  const delay = FIRST_RETRY_MS * BACKOFF_FACTOR ** Math.min(failures - 1, 32);
  return Math.min(delay, MAX_RETRY_DELAY_MS);
}

/**
 * A Retry-After value in milliseconds from `now`: delay-seconds or an
 * HTTP-date (RFC 9110 §10.2.3). Anything else, or a date in the past, is
 * ignored (undefined).
 */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (/^\d{1,10}$/.test(text)) return Number(text) * 1000;
  // An HTTP-date always names its weekday and zone ("Sun, 06 Nov 1994 08:49:37 GMT"); bare numbers are not dates.
  if (!/[a-z]/i.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at) || at <= now) return undefined;
  return at - now;
}

/**
 * When the next attempt is due, `now` being the run's scheduled time (the
 * planning clock: tests move it with Miniflare's `/cdn-cgi/local/scheduled?time=`).
 */
export function nextAttemptAt(now: number, failures: number, retryAfterMs?: number): number {
  const asked = retryAfterMs === undefined ? 0 : Math.min(Math.max(retryAfterMs, 0), MAX_RETRY_DELAY_MS);
  return now + Math.max(retryDelayMs(failures), asked);
}
