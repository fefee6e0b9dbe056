import { MAX_RESULTS } from "../list-response.js";
import { SERVICE_PROVIDER_CONFIG_SCHEMA } from "../schema/index.js";

/** Largest request body we accept, also advertised as bulk.maxPayloadSize. */
export const MAX_PAYLOAD_SIZE = 1_048_576;

/**
 * RFC 7643 §5. States only what the server does: an advertised capability
 * that does not work fails an IdP (https://github.com/goauthentik/authentik/issues/13386).
 * PATCH yes (Entra needs it), Bulk no, filter yes,
 * changePassword no (no password is stored), sort yes, ETags yes.
 * No null values anywhere (Microsoft's SCIM guide for Entra ID, "/Schemas" rules).
 */
export function serviceProviderConfig(baseUrl: string): Record<string, unknown> {
  return {
    schemas: [SERVICE_PROVIDER_CONFIG_SCHEMA],
    patch: { supported: true },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: MAX_PAYLOAD_SIZE },
    filter: { supported: true, maxResults: MAX_RESULTS },
    changePassword: { supported: false },
    sort: { supported: true },
    etag: { supported: true },
    // Both are sent as `Authorization: Bearer <token>` (RFC 6750), hence both
    // "oauthbearertoken" (RFC 7643 §5); they differ in how the token is obtained.
    authenticationSchemes: [
      {
        type: "oauthbearertoken",
        name: "OAuth 2.0 client credentials",
        description:
          "Short-lived access token (60 to 360 minutes) from this tenant's token endpoint, obtained with the OAuth 2.0 client credentials grant (RFC 6749 section 4.4, client_secret_basic or client_secret_post) and sent as a Bearer token. The endpoint is in the authorization server metadata (RFC 8414) at documentationUri.",
        specUri: "https://www.rfc-editor.org/info/rfc6749",
        documentationUri: authorizationServerMetadataUrl(baseUrl),
        primary: true,
      },
      {
        type: "oauthbearertoken",
        name: "Long-lived bearer token",
        description: "Secret token issued to the tenant by the vendor's admin API, valid until revoked or its optional expiry, sent as a Bearer token (RFC 6750).",
        specUri: "https://www.rfc-editor.org/info/rfc6750",
        primary: false,
      },
    ],
    meta: { resourceType: "ServiceProviderConfig", location: `${trimSlash(baseUrl)}/ServiceProviderConfig` },
  };
}

/**
 * The tenant's RFC 8414 metadata (src/routes/oauth.ts): its issuer is the
 * Tenant URL without "/scim/v2", i.e. `<origin>/tenants/<id>`.
 */
export function authorizationServerMetadataUrl(baseUrl: string): string {
  return `${trimSlash(baseUrl).replace(/\/scim\/v2$/, "")}/.well-known/oauth-authorization-server`;
}

export function trimSlash(baseUrl: string): string {
  return baseUrl.replace(/\/+$/, "");
}
