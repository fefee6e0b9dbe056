import { ScimError } from "../scim/errors.js";
import type { ProvisioningContext } from "./context.js";

/**
 * Attempts of one read–compute–guarded-write loop. A client that sent no
 * If-Match must not get a 409 for "modified concurrently": Entra escrows a
 * 409 and retries it in a later cycle, hours later. Each lost round lets at
 * least one writer through, so 24 attempts serve a burst of 24 concurrent
 * writers of one resource in the worst interleaving; each attempt is two D1
 * round trips (read, batch).
 */
export const WRITE_ATTEMPTS = 24;
/** Upper bound of the jittered pause before a retry, in ms (full jitter, doubling from 2 ms). */
const MAX_BACKOFF_MS = 64;

/** Returned by an attempt whose guarded write lost its race (the batch changed nothing). */
export const LOST_RACE = Symbol("lost race");

function pause(attempt: number): Promise<void> {
  const ceiling = Math.min(MAX_BACKOFF_MS, 2 ** attempt);
  return new Promise((resolve) => setTimeout(resolve, Math.random() * ceiling));
}

/**
 * Runs `attempt` until it does not lose its race. Each attempt re-reads the
 * resource, so an If-Match that held for a lost attempt is checked again
 * against the winner's version (→ 412). Past WRITE_ATTEMPTS, 429 with
 * Retry-After: the resource is being written faster than it can be written,
 * and identity providers retry 429 soon.
 */
export async function retryLostRaces<T>(ctx: ProvisioningContext, attempt: (n: number) => Promise<T | typeof LOST_RACE>): Promise<T> {
  for (let n = 0; n < WRITE_ATTEMPTS; n++) {
    if (n > 0) await pause(n);
    ctx.onAttempt?.(n + 1);
    const result = await attempt(n);
    if (result !== LOST_RACE) return result;
  }
  throw new ScimError(429, "The resource is being changed by too many requests at once; retry shortly.", undefined, { "Retry-After": "1" });
}
