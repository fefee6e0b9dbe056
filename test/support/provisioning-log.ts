/**
 * The provisioning log from a test: requests to the worker that return once
 * their waitUntil work (the log entry's write) is done, so a test reads the
 * log without waiting for anything; and the log's rows straight from D1.
 */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect } from "vitest";
import worker from "../../src/index.js";
import { admin, createTenant, issueToken, ORIGIN } from "./admin-client.js";
import { scimReply, type ScimReply, type ScimTenant } from "./scim-tenant.js";

/** A request through the worker's fetch handler that resolves after its waitUntil promises have settled. */
export async function settled(path: string, init: RequestInit = {}, bindings: typeof env = env): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(`${ORIGIN}${path}`, init), bindings, ctx);
  // Read first: a streamed body (a group) is written while the handler still runs.
  const body = await res.arrayBuffer();
  await waitOnExecutionContext(ctx);
  return new Response([101, 204, 205, 304].includes(res.status) ? null : body, res);
}

/** A tenant whose SCIM requests return once logged; it fits the ScimTenant helpers (test/support/licences.ts). */
export interface LoggedTenant extends ScimTenant {
  /** The same request with other headers: another token, another User-Agent. */
  raw(method: string, path: string, init?: { body?: string; headers?: Record<string, string> }): Promise<Response>;
}

let counter = 0;

export async function loggedTenant(options: Record<string, unknown> = {}): Promise<LoggedTenant> {
  counter += 1;
  const id = `pl${counter}-${crypto.randomUUID().slice(0, 8)}`;
  await createTenant({ name: `Log ${id}`, ...options, id });
  const { token } = await issueToken(id);
  const base = `/tenants/${id}/scim/v2`;
  const raw: LoggedTenant["raw"] = (method, path, init = {}) =>
    settled(`${base}${path}`, { method, headers: init.headers ?? {}, ...(init.body !== undefined ? { body: init.body } : {}) });
  return {
    id,
    token,
    base: `${ORIGIN}${base}`,
    raw,
    async request(method, path, body, headers = {}): Promise<ScimReply> {
      const res = await raw(method, path, {
        headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { "content-type": "application/scim+json" } : {}), ...headers },
        ...(body !== undefined ? { body: typeof body === "string" ? body : JSON.stringify(body) } : {}),
      });
      return scimReply(res);
    },
  };
}

/** A request_log row as stored. */
export interface LogRow {
  tenant_id: string;
  hour: number;
  resource_id: string;
  at: number;
  request_id: string;
  method: string;
  path: string;
  status: number;
  scim_type: string | null;
  detail: string | null;
  duration_ms: number;
  user_agent: string | null;
}

/** Every stored entry of a tenant, oldest first. */
export async function logRows(tenantId: string): Promise<LogRow[]> {
  const { results } = await env.DB.prepare(`SELECT * FROM request_log WHERE tenant_id = ?1 ORDER BY at, request_id`).bind(tenantId).all<LogRow>();
  return results;
}

/** The entry of one request, by the id the response carries. */
export async function entryOf(tenantId: string, res: { headers: Headers }): Promise<LogRow> {
  const requestId = res.headers.get("x-request-id");
  const row = await env.DB.prepare(`SELECT * FROM request_log WHERE tenant_id = ?1 AND request_id = ?2`).bind(tenantId, requestId).first<LogRow>();
  expect(row, `no log entry for request ${requestId}`).not.toBeNull();
  return row as LogRow;
}

/** An admin GET answering 200, parsed. */
export async function adminGet<T>(path: string): Promise<T> {
  const res = await admin("GET", path);
  expect(res.status, await res.clone().text()).toBe(200);
  return res.json<T>();
}

/** Writes an entry as the worker would, at a chosen time (retention and paging tests need old and many entries). */
export async function insertEntry(tenantId: string, e: { at: number; requestId?: string; resourceId?: string; status?: number; path?: string; method?: string }): Promise<string> {
  const requestId = e.requestId ?? crypto.randomUUID();
  await env.DB.prepare(
    `INSERT INTO request_log (tenant_id, hour, resource_id, at, request_id, method, path, status, scim_type, detail, duration_ms, user_agent)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, NULL, NULL, 3, 'test')`,
  )
    .bind(tenantId, Math.floor(e.at / 3_600_000), e.resourceId ?? "", e.at, requestId, e.method ?? "GET", e.path ?? "/Users", e.status ?? 200)
    .run();
  return requestId;
}
