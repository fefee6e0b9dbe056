/**
 * Talking to the worker from tests inside workerd, as an admin or as an
 * identity provider would: through the worker's own fetch handler.
 */
import { exports } from "cloudflare:workers";

export const ADMIN_TOKEN = "test-admin-token";
export const ORIGIN = "http://local.test";

/** A request to the worker; `path` starts with "/". */
export function call(path: string, init: RequestInit = {}): Promise<Response> {
  return exports.default.fetch(`${ORIGIN}${path}`, init);
}

/** An admin API request with the test ADMIN_TOKEN; a non-string body is sent as JSON. */
export function admin(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
  const init: RequestInit = { method, headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...headers } };
  if (body !== undefined) {
    init.body = typeof body === "string" ? body : JSON.stringify(body);
    (init.headers as Record<string, string>)["content-type"] ??= "application/json";
  }
  return call(path, init);
}

export interface TenantBody {
  id: string;
  name: string;
  scimBaseUrl: string;
  allowedDomains: string[];
  proGraceHours: number;
  locations: string[];
  licenceWhenAbsent: "pro" | "free";
  /** The data shard holding its data (docs/sharding.md). */
  shard: string;
  createdAt: string;
  stats?: Record<string, number>;
}

export interface IssuedTokenBody {
  id: string;
  token: string;
  label: string | null;
  createdAt: string;
  expiresAt: string | null;
}

export async function createTenant(body: Record<string, unknown>): Promise<TenantBody> {
  const res = await admin("POST", "/admin/tenants", body);
  if (res.status !== 201) throw new Error(`creating tenant: ${res.status} ${await res.text()}`);
  return res.json<TenantBody>();
}

export async function issueToken(tenantId: string, body: Record<string, unknown> = {}): Promise<IssuedTokenBody> {
  const res = await admin("POST", `/admin/tenants/${tenantId}/tokens`, body);
  if (res.status !== 201) throw new Error(`issuing token: ${res.status} ${await res.text()}`);
  return res.json<IssuedTokenBody>();
}

/** A SCIM request on a tenant's URL with a bearer token (or a raw Authorization header). */
export function scim(tenantId: string, path: string, auth: { token?: string; authorization?: string }, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  const authorization = auth.authorization ?? (auth.token === undefined ? undefined : `Bearer ${auth.token}`);
  if (authorization !== undefined) headers.set("authorization", authorization);
  return call(`/tenants/${tenantId}/scim/v2${path}`, { ...init, headers });
}
