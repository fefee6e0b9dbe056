/** Sends one request to the worker's own fetch handler (as test/support/scim-tenant.ts does) and reads the whole answer. */
import { exports } from "cloudflare:workers";
import { ORIGIN } from "../../support/admin-client.js";

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
}

export interface ConcreteRequest {
  method: string;
  /** Everything after the origin: "/tenants/…/scim/v2/Users?…". */
  url: string;
  headers: Record<string, string>;
  body?: string;
}

export async function send(req: ConcreteRequest): Promise<Reply> {
  const init: RequestInit = { method: req.method, headers: req.headers };
  if (req.body !== undefined) init.body = req.body;
  const res = await exports.default.fetch(`${ORIGIN}${req.url}`, init);
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** A SCIM request with a valid bearer token: used by the set-up, never by the generated requests. */
export function scimCall(tenantId: string, token: string, method: string, path: string, body?: string): Promise<Reply> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  if (body !== undefined) headers["content-type"] = "application/scim+json";
  const req: ConcreteRequest = { method, url: `/tenants/${tenantId}/scim/v2${path}`, headers };
  if (body !== undefined) req.body = body;
  return send(req);
}
