/**
 * Token endpoint errors exactly as RFC 6749 §5.2 defines them: a JSON object
 * `{ "error", "error_description" }`, never the SCIM error shape, with the
 * no-store headers of §5.1 on every answer of the endpoint.
 *
 * Pure: no I/O, no framework. The route renders an OAuthError with
 * `oauthErrorBody` and its `status` and `headers`.
 */

/** RFC 6749 §5.2: the only codes a token endpoint may answer with. */
export type OAuthErrorCode = "invalid_request" | "invalid_client" | "invalid_grant" | "unauthorized_client" | "unsupported_grant_type" | "invalid_scope";

export type OAuthErrorStatus = 400 | 401 | 429;

export interface OAuthErrorBody {
  error: OAuthErrorCode;
  error_description: string;
}

/**
 * RFC 6749 §5.1 / §5.2: responses carrying tokens or credentials must not be
 * cached. Sent on every response of the token endpoint, errors included.
 */
export const NO_STORE_HEADERS: Readonly<Record<string, string>> = { "Cache-Control": "no-store", Pragma: "no-cache" };

/** The realm of the Basic challenge; one token endpoint per tenant, so no tenant name is needed in it. */
const BASIC_CHALLENGE = 'Basic realm="token"';

/**
 * RFC 6749 §5.2: error_description is limited to %x20-21 / %x23-5B / %x5D-7E
 * (printable ASCII without `"` and `\`). Descriptions here are written that
 * way; anything else (a parameter name echoed back, say) is replaced.
 */
export function safeDescription(text: string): string {
  return text.replace(/[^\x20\x21\x23-\x5b\x5d-\x7e]/g, "?");
}

export class OAuthError extends Error {
  readonly code: OAuthErrorCode;
  readonly status: OAuthErrorStatus;
  /** Extra headers: WWW-Authenticate on 401, Retry-After on 429. */
  readonly headers: Record<string, string>;

  constructor(code: OAuthErrorCode, description: string, status: OAuthErrorStatus = 400, headers: Record<string, string> = {}) {
    super(safeDescription(description));
    this.name = "OAuthError";
    this.code = code;
    this.status = status;
    this.headers = headers;
  }
}

export function oauthErrorBody(err: OAuthError): OAuthErrorBody {
  return { error: err.code, error_description: err.message };
}

/** RFC 6749 §5.2 invalid_request: missing or repeated parameter, wrong content type, more than one client authentication method. */
export function invalidRequest(description: string): OAuthError {
  return new OAuthError("invalid_request", description);
}

/**
 * RFC 6749 §5.2 invalid_client: unknown client, wrong secret, no client
 * authentication, unsupported method. Always 401 with a Basic challenge:
 * §5.2 requires it when the client used the Authorization header, and
 * RFC 9110 §15.5.2 requires a WWW-Authenticate on every 401, so a client that
 * used client_secret_post gets the same answer (and learns Basic is accepted).
 * The description never says which of the causes it was.
 */
export function invalidClient(description = "Client authentication failed."): OAuthError {
  return new OAuthError("invalid_client", description, 401, { "WWW-Authenticate": BASIC_CHALLENGE });
}

/** RFC 6749 §5.2 unsupported_grant_type: only client_credentials (§4.4) is served. */
export function unsupportedGrantType(description: string): OAuthError {
  return new OAuthError("unsupported_grant_type", description);
}

/** RFC 6749 §5.2 invalid_scope: a scope other than `scim`, or a malformed scope (§3.3). */
export function invalidScope(description: string): OAuthError {
  return new OAuthError("invalid_scope", description);
}

/**
 * Too many token requests for one client (the per-client limit). §5.2 lets
 * the status differ ("unless specified otherwise") but not the code, so it is
 * invalid_client — the attempt was refused without checking the secret —
 * with 429 and Retry-After (RFC 6585 §4) so a client knows to wait.
 */
export function tooManyAttempts(retryAfterSeconds: number): OAuthError {
  return new OAuthError(
    "invalid_client",
    `Too many token requests for this client; try again in ${retryAfterSeconds} seconds.`,
    429,
    { "Retry-After": String(retryAfterSeconds) },
  );
}
