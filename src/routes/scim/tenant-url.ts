import type { Context } from "hono";
import type { AppEnv } from "../../context.js";

/** The Tenant URL of this request: `<origin>/tenants/<id>/scim/v2` (README, "Set up Microsoft Entra ID"). */
export function tenantBaseUrl(c: Context<AppEnv>): string {
  return `${new URL(c.req.url).origin}/tenants/${c.get("tenantId")}/scim/v2`;
}
