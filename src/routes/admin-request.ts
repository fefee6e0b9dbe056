/**
 * What every admin route shares (src/routes/admin.ts and the route modules it
 * mounts): reading and validating a request with a Zod schema, the error
 * class a route throws, and the one place that turns it into the admin API's
 * error body `{ error, detail, fields? }` — never a stack trace.
 *
 * A route throws an AdminRequestError; `adminErrorHandler` (each admin Hono
 * app's `onError`) renders it. So a refusal has the same shape, the same
 * field names and the same wording on every admin route, and the OpenAPI
 * document (src/routes/admin-openapi.ts) describes it once, from
 * `adminErrorBody` below.
 */
import type { Context, ErrorHandler } from "hono";
import { z } from "zod";
import type { AppEnv } from "../context.js";
import { errorFields, log } from "../log.js";
import type { Database, RequestDatabase } from "../storage/database.js";
import { openShard, openShards, ShardUnavailable } from "../storage/shards.js";
import { getTenant, TENANT_ID_PATTERN, type Tenant } from "../storage/tenants.js";

/** One refused field: `field` is its path (`allowedDomains[2]`, `body`, `query`), `message` what is wrong with it. */
export const fieldError = z.strictObject({
  field: z.string().meta({ description: "The field's path in the body or the query: `name`, `allowedDomains[2]`, `after`; `body` or `query` for the whole." }),
  message: z.string().meta({ description: "What is wrong with it, to be read after the field name." }),
});
export type FieldError = z.output<typeof fieldError>;

/** The body of every admin error (README, "Admin API"). */
export const adminErrorBody = z
  .strictObject({
    error: z.string().meta({
      description:
        "A stable code: invalid_request (400), unauthorized (401), not_found (404), conflict (409), payload_too_large (413), internal (500), admin_disabled or not_configured (503).",
    }),
    detail: z.string().meta({ description: "One sentence for a person; it names every refused field." }),
    fields: z.array(fieldError).optional().meta({ description: "With invalid_request (and a few 404 and 409): each refused field." }),
  })
  .meta({ id: "Error", description: "Every admin error." });

/** A refusal with a status: thrown by a route, rendered by adminErrorHandler. */
export class AdminRequestError extends Error {
  constructor(
    readonly status: 400 | 404 | 409 | 503,
    readonly error: string,
    detail: string,
    readonly fields?: FieldError[],
  ) {
    super(detail);
  }
}

/** 400 invalid_request naming each field, in the detail too (a person reads the detail, a program the fields). */
export function invalid(fields: FieldError[]): AdminRequestError {
  const detail = `Invalid request: ${fields.map((f) => `${f.field} ${f.message}`).join("; ")}.`;
  return new AdminRequestError(400, "invalid_request", detail, fields);
}

export const notFound = (detail: string, fields?: FieldError[]): AdminRequestError => new AdminRequestError(404, "not_found", detail, fields);

export const conflict = (detail: string, fields?: FieldError[]): AdminRequestError => new AdminRequestError(409, "conflict", detail, fields);

/** A Zod path as a field name: `allowedDomains[2]`, `lastFailure.status`. */
function fieldName(path: readonly PropertyKey[]): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else out += out === "" ? String(key) : `.${String(key)}`;
  }
  return out;
}

function fieldErrors(error: z.ZodError, root: string): FieldError[] {
  const fields: FieldError[] = [];
  for (const issue of error.issues) {
    // Strict schemas: a misspelt field is named, not silently ignored.
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) fields.push({ field: fieldName([...issue.path, key]), message: "is not a known field" });
    } else {
      fields.push({ field: fieldName(issue.path) || root, message: issue.message });
    }
  }
  return fields;
}

/** `value` as `schema` outputs it, or a 400 naming each bad field (`root` names a whole-value issue). */
export function check<S extends z.ZodType>(schema: S, value: unknown, root: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw invalid(fieldErrors(parsed.error, root));
  return parsed.data;
}

/**
 * Reads and validates a JSON body. The content type is not enforced (a
 * `curl -d` sends form encoding); an empty body counts as `{}`, so routes
 * whose fields are all optional accept none.
 */
export async function jsonBody<S extends z.ZodType>(c: Context<AppEnv>, schema: S): Promise<z.output<S>> {
  const text = await c.req.text();
  let value: unknown = {};
  if (text.trim() !== "") {
    try {
      value = JSON.parse(text);
    } catch {
      throw invalid([{ field: "body", message: "is not valid JSON" }]);
    }
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw invalid([{ field: "body", message: "must be a JSON object" }]);
  }
  return check(schema, value, "body");
}

/** The query string validated by `schema` (each parameter once: Hono keeps the first of a repeated one). */
export function query<S extends z.ZodType>(c: Context<AppEnv>, schema: S): z.output<S> {
  return check(schema, c.req.query(), "query");
}

/** The tenant `tenantId` names, unless unknown or being deleted: 404 otherwise. */
export async function existingTenant(db: Database, tenantId: string): Promise<Tenant> {
  // An id that cannot exist is just as unknown; no need to ask D1.
  const tenant = TENANT_ID_PATTERN.test(tenantId) ? await getTenant(db, tenantId) : undefined;
  if (!tenant) throw notFound(`No tenant "${tenantId}".`);
  return tenant;
}

/** The tenant of the path's `:id` (admin.ts mounts the tenant's sub-routes under /tenants/:id). */
export function pathTenant(c: Context<AppEnv>): Promise<Tenant> {
  return existingTenant(c.get("database").db, c.req.param("id") ?? "");
}

/**
 * The tenant's data shard (docs/sharding.md) on the request's meter: where
 * its users, groups, licences, events and log are read. The control
 * database (`c.get("database")`) holds the tenant itself.
 */
export function tenantData(c: Context<AppEnv>, tenant: Tenant): Promise<RequestDatabase> {
  return openShard(c.env, tenant.shard, c.get("database").meter);
}

/** Every data shard on the request's meter, in DATA_SHARDS order. */
export function allShards(c: Context<AppEnv>): Promise<RequestDatabase[]> {
  return openShards(c.env, c.get("database").meter);
}

/**
 * `onError` of every admin Hono app: an AdminRequestError as its body and
 * status; anything else 500 with nothing of the error in the body.
 */
export const adminErrorHandler: ErrorHandler<AppEnv> = (err, c) => {
  if (err instanceof AdminRequestError) {
    return c.json({ error: err.error, detail: err.message, ...(err.fields ? { fields: err.fields } : {}) }, err.status);
  }
  if (err instanceof ShardUnavailable) {
    // A data shard not configured here, or whose schema is behind: say which, and that it is temporary.
    log("error", { type: "shard-unavailable", shard: err.shard, reason: err.reason, detail: err.message, requestId: c.get("requestId") });
    return c.json({ error: "unavailable", detail: err.message }, 503, { "Retry-After": "30" });
  }
  // Never err.message as such: a D1 error carries the SQL and its bound values (src/log.ts).
  log("error", { type: "error", requestId: c.get("requestId"), ...errorFields(err) });
  return c.json({ error: "internal", detail: "Internal error." }, 500);
};
