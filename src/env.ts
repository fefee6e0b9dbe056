/**
 * The worker's bindings and vars (wrangler.toml) and the vendor configuration
 * derived from them.
 */
export interface Env {
  /** The control database (tenants, tokens, webhooks, moves), and by default the only data shard. */
  DB: D1Database;
  /**
   * The D1 bindings holding tenants' data, comma-separated (default "DB");
   * each must also be a [[d1_databases]] binding (docs/sharding.md).
   */
  DATA_SHARDS?: string;
  TOKENS: KVNamespace;
  /** Workers Rate Limiting: token requests per OAuth client, keyed `<tenantId>:<clientId>` (src/routes/oauth.ts). */
  OAUTH_CLIENT_LIMITER: RateLimit;
  /** Workers Rate Limiting: SCIM requests per tenant (src/middleware/rate-limit/). Absent → no limit. */
  SCIM_RATE_LIMIT?: RateLimit;
  /** Workers Rate Limiting: failed SCIM authentications per tenant URL (src/middleware/rate-limit/). Absent → no throttle. */
  SCIM_AUTH_FAILURE_LIMIT?: RateLimit;
  /** Workers Rate Limiting: failed console sign-ins per client address (src/console/security.ts). Absent → no throttle. */
  CONSOLE_SIGN_IN_LIMIT?: RateLimit;
  /** Secret. Unset or empty → every admin route refuses; there is no built-in default (README, "Configuration"). */
  ADMIN_TOKEN?: string;
  USER_EXTENSION_URN?: string;
  USER_EXTENSION_ATTRIBUTES?: string;
  GROUP_EXTENSION_URN?: string;
  GROUP_LICENCE_ATTRIBUTE?: string;
  EXPOSE_DB_METRICS?: string;
  /** Days the change feed keeps events (default 30); older ones are pruned by the cron. */
  EVENT_RETENTION_DAYS?: string;
  /** Secret. Seals webhook signing secrets in D1 (src/webhooks/secrets.ts). Unset → webhooks cannot be registered or sent. */
  WEBHOOK_SECRETS_KEY?: string;
}

/** What a vendor configures through [vars]; read once per request, pure. */
export interface VendorConfig {
  userExtensionUrn: string;
  userExtensionAttributes: string[];
  groupExtensionUrn: string;
  groupLicenceAttribute: string;
}

export const DEFAULT_VENDOR_CONFIG: VendorConfig = {
  userExtensionUrn: "urn:ietf:params:scim:schemas:extension:klaxon:2.0:User",
  userExtensionAttributes: ["location", "notificationPhoneNumber"],
  groupExtensionUrn: "urn:ietf:params:scim:schemas:extension:klaxoon:2.0:Group",
  groupLicenceAttribute: "license",
};

export function vendorConfig(env: Partial<Env>): VendorConfig {
  const attrs = (env.USER_EXTENSION_ATTRIBUTES ?? "")
    .split(",")
    .map((a) => a.trim())
    .filter((a) => a.length > 0);
  return {
    userExtensionUrn: env.USER_EXTENSION_URN?.trim() || DEFAULT_VENDOR_CONFIG.userExtensionUrn,
    userExtensionAttributes: attrs.length > 0 ? attrs : DEFAULT_VENDOR_CONFIG.userExtensionAttributes,
    groupExtensionUrn: env.GROUP_EXTENSION_URN?.trim() || DEFAULT_VENDOR_CONFIG.groupExtensionUrn,
    groupLicenceAttribute: env.GROUP_LICENCE_ATTRIBUTE?.trim() || DEFAULT_VENDOR_CONFIG.groupLicenceAttribute,
  };
}
