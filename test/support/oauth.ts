/**
 * OAuth 2.0 client credentials against the worker, as an identity provider
 * would use them: the admin API for clients and secrets, and the tenant's
 * token endpoint with client_secret_basic or client_secret_post.
 */
import { expect } from "vitest";
import { admin, call } from "./admin-client.js";

export interface OAuthClientBody {
  clientId: string;
  label: string | null;
  accessTokenMinutes: number;
  tokenUrl: string;
  createdAt: string;
  secrets: Array<{ secretId: string; createdAt: string; lastUsedAt?: string }>;
}

export interface CreatedOAuthClient extends OAuthClientBody {
  clientSecret: string;
  secretId: string;
}

export interface TokenBody {
  access_token: string;
  token_type: string;
  expires_in: number;
  scope: string;
}

export interface OAuthErrorBody {
  error: string;
  error_description: string;
}

export async function createOAuthClient(tenantId: string, body: Record<string, unknown> = {}): Promise<CreatedOAuthClient> {
  const res = await admin("POST", `/admin/tenants/${tenantId}/oauth-clients`, body);
  if (res.status !== 201) throw new Error(`creating OAuth client: ${res.status} ${await res.text()}`);
  return res.json<CreatedOAuthClient>();
}

export async function addSecret(tenantId: string, clientId: string): Promise<{ secretId: string; clientSecret: string; createdAt: string }> {
  const res = await admin("POST", `/admin/tenants/${tenantId}/oauth-clients/${clientId}/secrets`);
  if (res.status !== 201) throw new Error(`adding secret: ${res.status} ${await res.text()}`);
  return res.json();
}

/** RFC 6749 §2.3.1: id and secret are form-encoded, then joined and base64-encoded for HTTP Basic. */
export function basicAuthorization(clientId: string, clientSecret: string): string {
  const enc = (s: string) => encodeURIComponent(s).replace(/%20/g, "+");
  return `Basic ${btoa(`${enc(clientId)}:${enc(clientSecret)}`)}`;
}

export interface TokenRequestOptions {
  /** client_secret_basic credentials. */
  basic?: { clientId: string; clientSecret: string };
  /** Body parameters (form-encoded), or a raw body string. grant_type defaults to client_credentials unless `form` is a string. */
  form?: Record<string, string> | string;
  headers?: Record<string, string>;
  method?: string;
}

/** A request to the tenant's token endpoint. */
export function tokenRequest(tenantId: string, options: TokenRequestOptions = {}): Promise<Response> {
  const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded", ...options.headers };
  if (options.basic) headers["authorization"] = basicAuthorization(options.basic.clientId, options.basic.clientSecret);
  const body =
    typeof options.form === "string" ? options.form : new URLSearchParams({ grant_type: "client_credentials", ...options.form }).toString();
  const method = options.method ?? "POST";
  return call(`/tenants/${tenantId}/oauth/token`, { method, headers, ...(method === "GET" || method === "HEAD" ? {} : { body }) });
}

/** client_secret_basic, expecting 200: the token response body. */
export async function getToken(tenantId: string, clientId: string, clientSecret: string): Promise<TokenBody> {
  const res = await tokenRequest(tenantId, { basic: { clientId, clientSecret } });
  expect(res.status, await res.clone().text()).toBe(200);
  return res.json<TokenBody>();
}

/** Asserts an RFC 6749 §5.2 error response and returns its body. */
export async function expectOAuthError(res: Response, status: number, error: string): Promise<OAuthErrorBody> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  expect(res.headers.get("cache-control")).toBe("no-store");
  expect(res.headers.get("pragma")).toBe("no-cache");
  const body = JSON.parse(text) as OAuthErrorBody;
  expect(Object.keys(body).sort()).toEqual(["error", "error_description"]);
  expect(body.error).toBe(error);
  // RFC 6749 §5.2: error_description is printable ASCII without '"' and '\'.
  expect(body.error_description).toMatch(/^[\x20\x21\x23-\x5b\x5d-\x7e]+$/);
  return body;
}
