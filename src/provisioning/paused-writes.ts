/**
 * A SCIM write refused because the tenant's writes are paused on this shard
 * (a move is copying it, or it has moved away: docs/sharding.md). The batch
 * changed nothing; the identity provider retries after Retry-After — Entra
 * and Okta both retry a 503.
 */
import { ScimError } from "../scim/errors.js";
import { TenantWritesPaused } from "../storage/write-guard.js";

/** Seconds a client waits before retrying a write refused during a move. */
export const PAUSED_WRITES_RETRY_AFTER_SECONDS = 30;

/** The SCIM error for a storage failure that has one (paused writes); undefined for any other error. */
export function asScimError(err: unknown): ScimError | undefined {
  if (!(err instanceof TenantWritesPaused)) return undefined;
  return new ScimError(503, "The tenant is being moved to another database: writes are paused for a short while; retry later.", undefined, {
    "Retry-After": String(PAUSED_WRITES_RETRY_AFTER_SECONDS),
  });
}
