/**
 * Where a tenant's authorization server lives, and its RFC 8414 metadata.
 *
 * Each tenant is its own issuer, `<origin>/tenants/<id>`: its clients, its
 * token endpoint `<issuer>/oauth/token`, and access tokens that work on its
 * SCIM routes only. The metadata is served at both
 * `<issuer>/.well-known/oauth-authorization-server` (the address Microsoft's
 * gallery onboarding and most clients look at) and
 * `<origin>/.well-known/oauth-authorization-server/tenants/<id>` (RFC 8414
 * §3.1: the well-known segment inserted before the issuer's path), with the
 * same `issuer`, so a client validating §3.3 accepts either.
 *
 * Pure: no I/O.
 */
import { CLIENT_AUTH_METHODS, GRANT_TYPE, SCIM_SCOPE } from "./token-request.js";

export const WELL_KNOWN_SUFFIX = "/.well-known/oauth-authorization-server";

export function issuerFor(origin: string, tenantId: string): string {
  return `${origin}/tenants/${tenantId}`;
}

export function tokenEndpointFor(origin: string, tenantId: string): string {
  return `${issuerFor(origin, tenantId)}/oauth/token`;
}

export interface AuthorizationServerMetadata {
  issuer: string;
  token_endpoint: string;
  grant_types_supported: string[];
  token_endpoint_auth_methods_supported: string[];
  response_types_supported: string[];
  scopes_supported: string[];
}

/**
 * RFC 8414 §2, stating only what the server does. There is no authorization
 * endpoint (client credentials never uses one), so `authorization_endpoint`
 * is absent and `response_types_supported` — REQUIRED by §2 — is empty.
 * No `jwks_uri`: access tokens are opaque, checked by lookup, not signed.
 */
export function authorizationServerMetadata(origin: string, tenantId: string): AuthorizationServerMetadata {
  return {
    issuer: issuerFor(origin, tenantId),
    token_endpoint: tokenEndpointFor(origin, tenantId),
    grant_types_supported: [GRANT_TYPE],
    token_endpoint_auth_methods_supported: [...CLIENT_AUTH_METHODS],
    response_types_supported: [],
    scopes_supported: [SCIM_SCOPE],
  };
}
