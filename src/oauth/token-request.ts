/**
 * Parsing and checking a token request of the client credentials grant
 * (RFC 6749 §4.4.2) before any storage is touched: the body, the grant type,
 * how the client authenticates (§2.3.1: `client_secret_basic` or
 * `client_secret_post`) and the scope (§3.3). Whether the credentials are
 * right is storage's question (src/storage/oauth-clients.ts).
 *
 * Pure: strings in, a TokenRequest or a thrown OAuthError out.
 */
import { invalidClient, invalidRequest, invalidScope, unsupportedGrantType } from "./errors.js";

export const GRANT_TYPE = "client_credentials";
/** The one scope there is: the tenant's SCIM API. A request without scope gets it (§3.3 "pre-defined default value"). */
export const SCIM_SCOPE = "scim";
export type ClientAuthMethod = "client_secret_basic" | "client_secret_post";
export const CLIENT_AUTH_METHODS: readonly ClientAuthMethod[] = ["client_secret_basic", "client_secret_post"];

/** Longer client ids or secrets than this are no client of ours: refused before any lookup or rate-limit key. */
const MAX_CREDENTIAL_LENGTH = 256;

/** The parameters this endpoint reads; any other is ignored (§3.2: "MUST ignore unrecognized request parameters"). */
const KNOWN_PARAMETERS = ["grant_type", "scope", "client_id", "client_secret"] as const;
type Parameter = (typeof KNOWN_PARAMETERS)[number];

export interface RawTokenRequest {
  contentType: string | undefined;
  authorization: string | undefined;
  body: string;
}

export interface TokenRequest {
  clientId: string;
  clientSecret: string;
  authMethod: ClientAuthMethod;
  /** The scope granted: always `scim`. */
  scope: string;
}

/** Appendix B of RFC 6749: the body is application/x-www-form-urlencoded; a charset parameter is fine. */
function isFormEncoded(contentType: string | undefined): boolean {
  return contentType !== undefined && contentType.split(";")[0]?.trim().toLowerCase() === "application/x-www-form-urlencoded";
}

/**
 * The known parameters of the body. §3.2: none may appear more than once;
 * §3.1: a parameter sent without a value is treated as omitted.
 */
function formParameters(body: string): Partial<Record<Parameter, string>> {
  const form = new URLSearchParams(body);
  const out: Partial<Record<Parameter, string>> = {};
  for (const name of KNOWN_PARAMETERS) {
    const values = form.getAll(name);
    if (values.length > 1) throw invalidRequest(`The parameter ${name} is included more than once (RFC 6749 section 3.2).`);
    const value = values[0];
    if (value !== undefined && value !== "") out[name] = value;
  }
  return out;
}

/** application/x-www-form-urlencoded decoding of one Basic credential half (RFC 6749 §2.3.1). */
function formDecode(text: string): string | undefined {
  try {
    return decodeURIComponent(text.replace(/\+/g, " "));
  } catch {
    return undefined;
  }
}

/**
 * HTTP Basic (RFC 7617) with the client id and secret form-encoded first, as
 * RFC 6749 §2.3.1 requires. Anything that does not decode to a non-empty id
 * and secret is a failed authentication (invalid_client), not a malformed
 * request: the client tried to authenticate and did not.
 */
function basicCredentials(header: string): { clientId: string; clientSecret: string } {
  const match = /^\s*Basic\s+([A-Za-z0-9+/]+={0,2})\s*$/i.exec(header);
  if (!match?.[1]) throw invalidClient("Client authentication failed: the Authorization header is not HTTP Basic credentials.");
  let decoded: string;
  try {
    const binary = atob(match[1]);
    decoded = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(Uint8Array.from(binary, (ch) => ch.charCodeAt(0)));
  } catch {
    throw invalidClient("Client authentication failed: the Basic credentials are not valid base64 of UTF-8 text.");
  }
  const colon = decoded.indexOf(":");
  const clientId = colon < 0 ? undefined : formDecode(decoded.slice(0, colon));
  const clientSecret = colon < 0 ? undefined : formDecode(decoded.slice(colon + 1));
  if (!clientId || !clientSecret) throw invalidClient("Client authentication failed: the Basic credentials need a client id and a client secret.");
  return { clientId, clientSecret };
}

/** §2.3: exactly one method; a public client (client_id alone) cannot use this grant (§4.4: confidential clients only). */
function clientCredentials(authorization: string | undefined, form: Partial<Record<Parameter, string>>): Omit<TokenRequest, "scope"> {
  if (authorization !== undefined && authorization.trim() !== "") {
    const basic = basicCredentials(authorization);
    if (form.client_secret !== undefined) {
      throw invalidRequest("The client authenticated with both HTTP Basic and client_secret in the body; use one method (RFC 6749 section 2.3).");
    }
    // §3.2.1 lets a client name itself with client_id; it must be the one it authenticated as.
    if (form.client_id !== undefined && form.client_id !== basic.clientId) {
      throw invalidRequest("The client_id in the body is not the client id of the HTTP Basic credentials.");
    }
    return { ...basic, authMethod: "client_secret_basic" };
  }
  if (form.client_id === undefined || form.client_secret === undefined) {
    throw invalidClient("Client authentication failed: send client_id and client_secret, by HTTP Basic or in the body.");
  }
  return { clientId: form.client_id, clientSecret: form.client_secret, authMethod: "client_secret_post" };
}

/** §3.3: scope = scope-token *( SP scope-token ), scope-token = 1*( %x21 / %x23-5B / %x5D-7E ). */
const SCOPE_SYNTAX = /^[\x21\x23-\x5b\x5d-\x7e]+(?: [\x21\x23-\x5b\x5d-\x7e]+)*$/;

function grantedScope(requested: string | undefined): string {
  if (requested === undefined) return SCIM_SCOPE;
  if (!SCOPE_SYNTAX.test(requested)) throw invalidScope("The scope is malformed (RFC 6749 section 3.3).");
  const unknown = requested.split(" ").filter((s) => s !== SCIM_SCOPE);
  if (unknown.length > 0) throw invalidScope(`Unknown scope ${unknown[0]}: the only scope is ${SCIM_SCOPE}.`);
  return SCIM_SCOPE;
}

/**
 * Checks in this order, each a precise RFC 6749 §5.2 error: the body's form
 * (invalid_request), the grant type (invalid_request when missing,
 * unsupported_grant_type when not client_credentials), the client
 * authentication's shape (invalid_client, or invalid_request for two
 * methods at once), the scope (invalid_scope).
 */
export function parseTokenRequest(raw: RawTokenRequest): TokenRequest {
  if (!isFormEncoded(raw.contentType)) {
    throw invalidRequest("The request body must be application/x-www-form-urlencoded (RFC 6749 section 4.4.2).");
  }
  const form = formParameters(raw.body);
  if (form.grant_type === undefined) throw invalidRequest("The grant_type parameter is missing.");
  if (form.grant_type !== GRANT_TYPE) throw unsupportedGrantType(`Only the ${GRANT_TYPE} grant type is supported.`);
  const client = clientCredentials(raw.authorization, form);
  if (client.clientId.length > MAX_CREDENTIAL_LENGTH || client.clientSecret.length > MAX_CREDENTIAL_LENGTH) throw invalidClient();
  return { ...client, scope: grantedScope(form.scope) };
}

/** RFC 6749 §5.1 successful response; `scope` is sent because a request without one was granted `scim` (§3.3). */
export interface TokenResponseBody {
  access_token: string;
  token_type: "Bearer";
  expires_in: number;
  scope: string;
}

export function tokenResponseBody(accessToken: string, expiresInSeconds: number, scope: string): TokenResponseBody {
  return { access_token: accessToken, token_type: "Bearer", expires_in: expiresInSeconds, scope };
}
