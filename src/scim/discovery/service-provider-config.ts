import { MAX_RESULTS } from "../list-response.js";
import { SERVICE_PROVIDER_CONFIG_SCHEMA } from "../schema/index.js";

/** Largest request body we accept, also advertised as bulk.maxPayloadSize. */
export const MAX_PAYLOAD_SIZE = 1_048_576;

/**
 * RFC 7643 §5. States only what the server does (idp-notes §4.12,
 * authentik #13386): PATCH yes (Entra needs it), Bulk no, filter yes,
 * changePassword no (no password is stored), sort yes, ETags yes.
 * No null values anywhere (MS-SCIM "/Schemas" rules).
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
    authenticationSchemes: [
      {
        type: "oauthbearertoken",
        name: "OAuth Bearer Token",
        description: "Authentication scheme using the OAuth Bearer Token Standard",
        specUri: "https://www.rfc-editor.org/info/rfc6750",
        primary: true,
      },
    ],
    meta: { resourceType: "ServiceProviderConfig", location: `${trimSlash(baseUrl)}/ServiceProviderConfig` },
  };
}

export function trimSlash(baseUrl: string): string {
  return baseUrl.replace(/\/+$/, "");
}
