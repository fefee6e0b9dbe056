/**
 * A tenant with a token, and a SCIM client for it that returns the parsed
 * body and the D1 metering headers (x-d1-rows-read / x-d1-rows-written).
 */
import { exports } from "cloudflare:workers";
import { expect } from "vitest";
import { createTenant, issueToken } from "./admin-client.js";

export interface ScimReply {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- SCIM JSON, asserted field by field in tests
  headers: Headers;
  rowsRead: number;
  rowsWritten: number;
  /** D1 statements the request ran (x-d1-statements). */
  statements: number;
}

export interface ScimTenant {
  id: string;
  token: string;
  base: string;
  request(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<ScimReply>;
}

/** A SCIM response as the tests read it: status, parsed body and the D1 metering headers. */
export async function scimReply(res: Response): Promise<ScimReply> {
  const text = await res.text();
  return {
    status: res.status,
    body: text ? JSON.parse(text) : undefined,
    headers: res.headers,
    rowsRead: Number(res.headers.get("x-d1-rows-read")),
    rowsWritten: Number(res.headers.get("x-d1-rows-written")),
    statements: Number(res.headers.get("x-d1-statements")),
  };
}

let counter = 0;

export async function newScimTenant(options: Record<string, unknown> = {}): Promise<ScimTenant> {
  counter += 1;
  const id = (options.id as string | undefined) ?? `t${counter}-${crypto.randomUUID().slice(0, 8)}`;
  await createTenant({ name: `Tenant ${id}`, ...options, id });
  const { token } = await issueToken(id);
  const base = `http://local.test/tenants/${id}/scim/v2`;
  return {
    id,
    token,
    base,
    async request(method, path, body, headers = {}) {
      const init: RequestInit = {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { "content-type": "application/scim+json" } : {}), ...headers },
      };
      if (body !== undefined) init.body = typeof body === "string" ? body : JSON.stringify(body);
      return scimReply(await exports.default.fetch(`${base}${path}`, init));
    },
  };
}

/** A group's member ids, sorted, as GET /Groups/{id} returns them. */
export async function memberIdsOf(t: ScimTenant, groupId: string): Promise<string[]> {
  const r = await t.request("GET", `/Groups/${groupId}`);
  expect(r.status).toBe(200);
  return (r.body.members as Array<{ value: string }>).map((m) => m.value).sort();
}
