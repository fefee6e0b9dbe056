/**
 * Turns a generated request into the concrete one sent: placeholders become
 * the world's current ids, names and ETags; the credential, the URL's
 * tenant and the query string's encoding are applied.
 */
import fc from "fast-check";
import { encodeComponent, type FuzzRequest, type QueryParam } from "./arbitraries.js";
import type { ConcreteRequest } from "./send.js";
import type { Snapshot, World } from "./world.js";

/** An id that is no resource of any tenant (the shape of the worker's UUIDv7 ids). */
export const MISSING_ID = "01900000-0000-7000-8000-000000000000";
const PLACEHOLDER = /@@(userA|groupA|userB|groupB|nameA|gnameA|etagU|etagG):(\d+)@@|@@missing@@/g;

type Row = Record<string, unknown>;

function nth(rows: Row[], index: string, column: string): string | undefined {
  if (rows.length === 0) return undefined;
  return rows[Number(index) % rows.length]![column] as string;
}

const DEEP = /"@@deep:([ao]):(\d+)@@"/g;
const HUGE = /@@huge:(\d+):([^@]+)@@/g;

function expand(text: string): string {
  return text
    .replace(DEEP, (_all, shape: string, depth: string) => {
      const d = Number(depth);
      return shape === "a" ? `${"[".repeat(d)}"x"${"]".repeat(d)}` : `${'{"a":'.repeat(d)}"x"${"}".repeat(d)}`;
    })
    .replace(HUGE, (_all, length: string, ch: string) => ch.repeat(Math.ceil(Number(length) / ch.length)));
}

export function substitute(text: string, snap: Snapshot): string {
  return expand(text).replace(PLACEHOLDER, (_all, pool: string | undefined, index: string | undefined) => {
    if (pool === undefined || index === undefined) return MISSING_ID;
    switch (pool) {
      case "userA":
        return nth(snap.a.users, index, "id") ?? MISSING_ID;
      case "groupA":
        return nth(snap.a.groups, index, "id") ?? MISSING_ID;
      case "userB":
        return nth(snap.b.users, index, "id") ?? MISSING_ID;
      case "groupB":
        return nth(snap.b.groups, index, "id") ?? MISSING_ID;
      case "nameA":
        return nth(snap.a.users, index, "user_name") ?? "nobody@contoso.com";
      case "gnameA":
        return nth(snap.a.groups, index, "display_name") ?? "Nobody";
      case "etagU": {
        const etag = nth(snap.a.users, index, "etag");
        return etag === undefined ? 'W/"none"' : `W/"${etag}"`;
      }
      default: {
        const etag = nth(snap.a.groups, index, "etag");
        return etag === undefined ? 'W/"none"' : `W/"${etag}"`;
      }
    }
  });
}

function encodeParam(p: QueryParam, snap: Snapshot): string {
  const name = encodeComponent(p.name);
  const value = substitute(p.value, snap);
  switch (p.encoding) {
    case "component":
      return `${name}=${encodeComponent(value)}`;
    case "plus":
      return `${name}=${encodeComponent(value).replace(/%20/g, "+")}`;
    case "raw":
      return value === "" ? name : `${name}=${value}`;
    case "malformed":
      return `${name}=${encodeComponent(value)}%zz%E0%A4%`;
  }
}

const BASIC = `Basic ${btoa("admin:admin")}`;

export function authorization(req: FuzzRequest, world: World): string | undefined {
  const token = world.a.token;
  switch (req.auth) {
    case "valid":
      return `Bearer ${token}`;
    case "double-bearer":
      return `Bearer Bearer ${token}`;
    case "lower-case":
      return `bearer ${token}`;
    case "padded":
      return `Bearer   ${token}`;
    case "other-tenant":
      return `Bearer ${world.b.token}`;
    case "wrong":
      return `Bearer ${token.slice(0, -4)}AAAA`;
    case "missing":
      return undefined;
    case "basic":
      return BASIC;
    case "empty":
      return "Bearer ";
  }
}

/** The current ETag of the user or group the path names, for `@@etagSelf@@` (If-Match that may hold). */
function selfETag(path: string, snap: Snapshot): string {
  const m = /^\/+(users|groups)\/([^/?]+)/i.exec(path);
  const rows = m?.[1]?.toLowerCase() === "users" ? snap.a.users : snap.a.groups;
  const etag = m ? rows.find((r) => r.id === m[2])?.etag : undefined;
  return typeof etag === "string" ? `W/"${etag}"` : 'W/"none"';
}

export function concrete(req: FuzzRequest, world: World, snap: Snapshot): ConcreteRequest {
  const tenant = { a: world.a.id, b: world.b.id, unknown: "fuzz-nobody", malformed: "NOT_A%20TENANT!" }[req.tenant];
  const path = substitute(req.path, snap);
  const query = req.params.map((p) => encodeParam(p, snap)).join("&");
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) headers[k] = substitute(v, snap).replace("@@etagSelf@@", selfETag(path, snap));
  const auth = authorization(req, world);
  if (auth !== undefined) headers.authorization = auth;
  const out: ConcreteRequest = { method: req.method, url: `/tenants/${tenant}/scim/v2${path}${query ? `?${query}` : ""}`, headers };
  if (req.body !== undefined) out.body = substitute(req.body, snap);
  return out;
}

export function clip(text: string, max = 600): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length} characters)`;
}

export function describeConcrete(req: ConcreteRequest): string {
  const headers = { ...req.headers };
  if (headers.authorization) headers.authorization = headers.authorization.replace(/scim_\S+/, "scim_…");
  return `${req.method} ${clip(req.url, 400)}\n  headers ${JSON.stringify(headers)}${req.body === undefined ? "" : `\n  body ${clip(JSON.stringify(req.body), 1200)}`}`;
}

/** How fast-check prints a generated request in a counterexample: one line, long values clipped. */
export function withToString(req: FuzzRequest): FuzzRequest {
  const text = () => {
    const query = req.params.map((p) => `${p.name}=${clip(JSON.stringify(p.value), 120)}(${p.encoding})`).join("&");
    const body = req.body === undefined ? "" : ` body=${clip(JSON.stringify(req.body), 300)}`;
    return `[${req.kind}] ${req.method} ${clip(req.path, 200)}${query ? `?${query}` : ""} auth=${req.auth} tenant=${req.tenant} headers=${JSON.stringify(req.headers)}${body}`;
  };
  return Object.assign(req, { [fc.toStringMethod]: text });
}
