import type { VendorConfig } from "../env.js";
import type { RequestDatabase } from "../storage/database.js";
import type { EventOrigin } from "../storage/events.js";

/** What a provisioning operation needs from the request, and nothing of HTTP. */
export interface ProvisioningContext {
  rd: RequestDatabase;
  tenantId: string;
  config: VendorConfig;
  /** The request id the change feed and the provisioning log name. */
  requestId: string;
  /** The request's If-Match header, when sent (RFC 7644 §3.14). */
  ifMatch?: string | undefined;
  /** Told the attempt number of each read–compute–write round (the request log reports it). */
  onAttempt?: (attempt: number) => void;
  /** Where page anchors persist across isolates (the TOKENS namespace; src/storage/page-anchors.ts). */
  kv?: KVNamespace;
  /** The clock of writes (ms); Date.now by default. */
  now?: () => number;
}

export const nowOf = (ctx: ProvisioningContext): number => (ctx.now ?? Date.now)();

/** Who causes a write's events, and when. */
export function originOf(ctx: ProvisioningContext): EventOrigin {
  return { tenantId: ctx.tenantId, now: nowOf(ctx), requestId: ctx.requestId };
}
