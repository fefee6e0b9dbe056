/**
 * The worker's bindings and vars (wrangler.toml) and the vendor configuration
 * derived from them.
 */
export interface Env {
  DB: D1Database;
  TOKENS: KVNamespace;
  /** Secret. Unset or empty → every admin route refuses (contract.md). */
  ADMIN_TOKEN?: string;
  USER_EXTENSION_URN?: string;
  USER_EXTENSION_ATTRIBUTES?: string;
  GROUP_EXTENSION_URN?: string;
  GROUP_LICENCE_ATTRIBUTE?: string;
  EXPOSE_DB_METRICS?: string;
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
