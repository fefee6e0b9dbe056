import type { Context } from "hono";
import type { AppEnv } from "../../context.js";
import type { ProvisioningContext } from "../../provisioning/context.js";

/** The provisioning context of a SCIM request: its database, tenant, configuration and If-Match. */
export function provisioningContext(c: Context<AppEnv>): ProvisioningContext {
  return {
    rd: c.get("database"),
    tenantId: c.get("tenantId"),
    config: c.get("config"),
    requestId: c.get("requestId"),
    kv: c.env.TOKENS,
    ifMatch: c.req.header("if-match"),
    onAttempt: (n) => c.set("writeAttempts", n),
  };
}
