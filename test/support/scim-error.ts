/** Assertions on SCIM error responses (RFC 7644 §3.12) as the worker sends them. */
import { expect } from "vitest";
import type { ScimReply, ScimTenant } from "./scim-tenant.js";

export const ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error";

/** A SCIM Error: application/scim+json, the Error schema, `status` as a string, the scimType; returns the detail. */
export function expectScimError(res: ScimReply, status: number, scimType?: string): string {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.headers.get("content-type")).toMatch(/^application\/scim\+json/);
  expect(res.body.schemas).toEqual([ERROR_SCHEMA]);
  expect(res.body.status).toBe(String(status));
  expect(res.body.scimType).toBe(scimType);
  expect(typeof res.body.detail).toBe("string");
  return res.body.detail as string;
}

/** GET of a resource, asserted 200; its body is the state a refused request must leave untouched. */
export async function snapshot(t: ScimTenant, path: string): Promise<Record<string, unknown>> {
  const res = await t.request("GET", path);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as Record<string, unknown>;
}
