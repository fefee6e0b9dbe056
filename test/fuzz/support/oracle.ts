/**
 * What must hold after every generated request, whatever it was:
 * - no 5xx (nor any status outside 2xx and 4xx);
 * - every 4xx is a SCIM Error (RFC 7644 §3.12): application/scim+json, the
 *   Error schema, `status` the HTTP status as a string, a `detail`, and a
 *   `scimType` only where the RFC defines one — any of its list on a 400,
 *   `uniqueness` on a 409, `sensitive` on a 403, none elsewhere;
 * - a 2xx body is SCIM JSON, and a list is a consistent ListResponse;
 * - no answer shows the other tenant's users or groups;
 * - the request's own expectation (arbitraries.ts), if it has one;
 * - a refused request (4xx) and a read changed no row; the other tenant's
 *   rows never change; the invariants hold (world.ts).
 */
import type { FuzzRequest } from "./arbitraries.js";
import { VALID_AUTH } from "./arbitraries.js";
import type { ConcreteRequest, Reply } from "./send.js";
import { clip } from "./placeholders.js";
import { ENTERPRISE_USER } from "./world.js";

export const ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error";
export const LIST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
/** RFC 7644 §3.12, Table 9. */
export const RFC_SCIM_TYPES = new Set(["invalidFilter", "tooMany", "uniqueness", "mutability", "invalidSyntax", "invalidPath", "noTarget", "invalidValue", "invalidVers", "sensitive"]);
/** The advertised maxPayloadSize (src/routes/scim): a bigger body is 413 before anything else. */
export const MAX_PAYLOAD_BYTES = 1024 * 1024;

type Json = Record<string, unknown>;

function parse(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Ids of the other tenant that a User or Group resource shows as its own id, member, group or manager. */
function leakedIds(resource: unknown, otherIds: ReadonlySet<string>): string[] {
  if (!isObject(resource)) return [];
  const ids: unknown[] = [resource.id];
  for (const key of ["members", "groups"]) {
    const list = resource[key];
    if (Array.isArray(list)) for (const m of list) if (isObject(m)) ids.push(m.value);
  }
  const enterprise = resource[ENTERPRISE_USER];
  if (isObject(enterprise) && isObject(enterprise.manager)) ids.push(enterprise.manager.value);
  return ids.filter((id): id is string => typeof id === "string" && otherIds.has(id));
}

export function isRead(req: FuzzRequest): boolean {
  return req.method === "GET" || req.method === "HEAD" || (req.method === "POST" && /\/\.search\/?$/.test(req.path));
}

/** The violations of one reply (empty when it is fine). */
export function replyViolations(req: FuzzRequest, sent: ConcreteRequest, reply: Reply, otherTenantIds: ReadonlySet<string>): string[] {
  const out: string[] = [];
  const { status } = reply;
  if (status >= 500) out.push(`answered ${status}`);
  else if (!((status >= 200 && status < 300) || (status >= 400 && status < 500))) out.push(`answered ${status}, neither 2xx nor 4xx`);
  const type = reply.headers.get("content-type") ?? "";
  const hasBody = req.method !== "HEAD";

  if (status >= 400 && status < 600 && hasBody) {
    if (!/^application\/scim\+json/i.test(type)) out.push(`error content-type "${type}", not application/scim+json`);
    const body = parse(reply.text);
    if (!body.ok || !isObject(body.value)) out.push("error body is not a JSON object");
    else {
      const e = body.value;
      if (!Array.isArray(e.schemas) || e.schemas.length !== 1 || e.schemas[0] !== ERROR_SCHEMA) out.push(`error schemas ${JSON.stringify(e.schemas)}`);
      if (e.status !== String(status)) out.push(`error "status" ${JSON.stringify(e.status)}, not "${status}"`);
      if (typeof e.detail !== "string") out.push('error without a string "detail"');
      const scimType = e.scimType;
      if (scimType !== undefined) {
        const allowed = status === 400 ? RFC_SCIM_TYPES.has(scimType as string) : status === 409 ? scimType === "uniqueness" : status === 403 ? scimType === "sensitive" : false;
        if (!allowed) out.push(`scimType ${JSON.stringify(scimType)} on a ${status} (RFC 7644 §3.12)`);
      }
    }
  }

  if (status >= 200 && status < 300 && hasBody && reply.text !== "") {
    if (!/^application\/scim\+json/i.test(type)) out.push(`success content-type "${type}", not application/scim+json`);
    const body = parse(reply.text);
    if (!body.ok) out.push("success body is not JSON");
    else if (isObject(body.value)) {
      const v = body.value;
      const resources = Array.isArray(v.schemas) && v.schemas.includes(LIST_SCHEMA) ? v.Resources : [v];
      if (Array.isArray(v.schemas) && v.schemas.includes(LIST_SCHEMA)) {
        if (!Array.isArray(v.Resources)) out.push("ListResponse without a Resources array");
        if (!Number.isInteger(v.totalResults) || (v.totalResults as number) < 0) out.push(`totalResults ${JSON.stringify(v.totalResults)}`);
        if (!Number.isInteger(v.startIndex) || (v.startIndex as number) < 1) out.push(`startIndex ${JSON.stringify(v.startIndex)}`);
        if (Array.isArray(v.Resources) && v.itemsPerPage !== v.Resources.length) out.push(`itemsPerPage ${JSON.stringify(v.itemsPerPage)} ≠ ${v.Resources.length} Resources`);
      }
      if (Array.isArray(resources)) {
        for (const r of resources) {
          const leaked = leakedIds(r, otherTenantIds);
          if (leaked.length > 0) out.push(`the answer shows the other tenant's ${leaked.join(", ")}`);
        }
      }
    }
  }

  const expectation = expectationFor(req, sent);
  if (expectation) {
    if (!expectation.status.includes(status)) out.push(`expected ${expectation.status.join(" or ")} (${expectation.why}), got ${status}`);
    else if (status >= 400 && expectation.scimType && hasBody) {
      const body = parse(reply.text);
      const scimType = body.ok && isObject(body.value) ? body.value.scimType : undefined;
      if (!expectation.scimType.includes(scimType as string | undefined)) {
        out.push(`expected scimType ${expectation.scimType.map((t) => t ?? "(none)").join(" or ")} (${expectation.why}), got ${JSON.stringify(scimType ?? null)}`);
      }
    }
  }
  return out;
}

function expectationFor(req: FuzzRequest, sent: ConcreteRequest): FuzzRequest["expect"] {
  const credentialed = VALID_AUTH.has(req.auth) && req.tenant === "a";
  if (req.tenant !== "malformed" && sent.body !== undefined && new TextEncoder().encode(sent.body).length > MAX_PAYLOAD_BYTES) {
    return credentialed
      ? { status: [413], scimType: [undefined], why: `a body over ${MAX_PAYLOAD_BYTES} bytes is refused` }
      : { status: [401, 413, 429], scimType: [undefined], why: `a bad credential with a body over ${MAX_PAYLOAD_BYTES} bytes is refused` };
  }
  return req.expect;
}

export function describeReply(reply: Reply): string {
  return `${reply.status} ${reply.headers.get("content-type") ?? "(no content-type)"} ${clip(reply.text, 1200)}`;
}
