/**
 * The admin API (contract.md, "Admin API"): tenants, their tokens and their
 * licences. JSON in and out; every failure is a JSON body
 * `{ error, detail, fields? }` with a precise status, never a stack trace.
 */
import type { Context } from "hono";
import { Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "../context.js";
import { adminBearerAuth } from "../middleware/admin-auth/index.js";
import type { Database } from "../storage/database.js";
import {
  createTenant,
  deleteTenant,
  getTenant,
  getTenantStats,
  listTenants,
  patchTenant,
  TENANT_ID_PATTERN,
  TenantIdTakenError,
  type LicenceWhenAbsent,
  type Tenant,
  type TenantStats,
} from "../storage/tenants.js";
import { listLicences } from "../licence/current-licences.js";
import { issueToken, listTokens, revokeToken } from "../storage/tokens.js";
import { dateTime } from "../scim/data-types.js";
import { normaliseDomains, normaliseLocations } from "../scim/resources/tenant-policy.js";

// ---------------------------------------------------------------------------
// Request schemas (Zod 4). Strict: a misspelt field is an error naming it,
// not silently ignored.

const domain = z
  .string({ error: "must be a string" })
  .trim()
  .min(1, { error: "must not be empty" })
  .max(253, { error: "must be at most 253 characters" })
  .regex(/^@?[^\s@/:]+$/u, { error: "must be a bare domain such as contoso.com" });
const location = z.string({ error: "must be a string" }).trim().min(1, { error: "must not be empty" }).max(200, { error: "must be at most 200 characters" });
const name = z.string({ error: "must be a string" }).trim().min(1, { error: "must not be empty" }).max(200, { error: "must be at most 200 characters" });
// contract.md, "Licence rules": proGraceHours ≤ 23 keeps every downgraded licence under 24 h.
const proGraceHours = z.int({ error: "must be an integer from 0 to 23" }).min(0, { error: "must be an integer from 0 to 23" }).max(23, { error: "must be an integer from 0 to 23" });
// What a group created without the licence extension attribute is (docs/licences.md).
const licenceWhenAbsent = z.enum(["pro", "free"], { error: 'must be "pro" or "free"' });
const tenantFields = {
  name,
  // Stored as the SCIM policy compares them: "@Contoso.COM." and "contoso.com" are one domain.
  allowedDomains: z.array(domain, { error: "must be an array of domains" }).max(100, { error: "must list at most 100 domains" }).transform(normaliseDomains),
  proGraceHours,
  locations: z.array(location, { error: "must be an array of strings" }).max(1000, { error: "must list at most 1000 locations" }).transform(normaliseLocations),
  licenceWhenAbsent,
};

const createTenantBody = z.strictObject({
  id: z.string({ error: "must be a string" }).regex(TENANT_ID_PATTERN, { error: `must match ${TENANT_ID_PATTERN.source}` }).optional(),
  name: tenantFields.name,
  allowedDomains: tenantFields.allowedDomains.optional(),
  proGraceHours: tenantFields.proGraceHours.optional(),
  locations: tenantFields.locations.optional(),
  licenceWhenAbsent: tenantFields.licenceWhenAbsent.optional(),
});

const patchTenantBody = z
  .strictObject({
    name: tenantFields.name.optional(),
    allowedDomains: tenantFields.allowedDomains.optional(),
    proGraceHours: tenantFields.proGraceHours.optional(),
    locations: tenantFields.locations.optional(),
    licenceWhenAbsent: tenantFields.licenceWhenAbsent.optional(),
  })
  .refine((b) => Object.keys(b).length > 0, { error: "must set at least one of name, allowedDomains, proGraceHours, locations, licenceWhenAbsent" });

const issueTokenBody = z.strictObject({
  label: z.string({ error: "must be a string" }).trim().max(200, { error: "must be at most 200 characters" }).nullable().optional(),
  expiresInDays: z
    .int({ error: "must be a positive integer (days)" })
    .min(1, { error: "must be a positive integer (days)" })
    .max(3650, { error: "must be at most 3650 days" })
    .nullable()
    .optional(),
});

const listTenantsQuery = z.strictObject({
  after: z.string().optional(),
  limit: z.coerce.number({ error: "must be an integer from 1 to 1000" }).int({ error: "must be an integer from 1 to 1000" }).min(1, { error: "must be an integer from 1 to 1000" }).max(1000, { error: "must be an integer from 1 to 1000" }).optional(),
});

const licencesQuery = z.strictObject({
  status: z.enum(["active", "downgraded"], { error: 'must be "active" or "downgraded"' }).optional(),
  after: z.string().optional(),
  limit: z.coerce.number({ error: "must be an integer from 1 to 1000" }).int({ error: "must be an integer from 1 to 1000" }).min(1, { error: "must be an integer from 1 to 1000" }).max(1000, { error: "must be an integer from 1 to 1000" }).optional(),
});

// ---------------------------------------------------------------------------
// Validation step (instead of @hono/zod-validator, which is not installed).

interface FieldError {
  field: string;
  message: string;
}

class AdminRequestError extends Error {
  constructor(
    readonly status: 400 | 404 | 409,
    readonly error: string,
    detail: string,
    readonly fields?: FieldError[],
  ) {
    super(detail);
  }
}

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
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) fields.push({ field: fieldName([...issue.path, key]), message: "is not a known field" });
    } else {
      fields.push({ field: fieldName(issue.path) || root, message: issue.message });
    }
  }
  return fields;
}

function invalid(fields: FieldError[]): AdminRequestError {
  const detail = `Invalid request: ${fields.map((f) => `${f.field} ${f.message}`).join("; ")}.`;
  return new AdminRequestError(400, "invalid_request", detail, fields);
}

function check<S extends z.ZodType>(schema: S, value: unknown, root: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw invalid(fieldErrors(parsed.error, root));
  return parsed.data;
}

/**
 * Reads and validates a JSON body. The content type is not enforced (a
 * `curl -d` sends form encoding); an empty body counts as `{}`, so routes
 * whose fields are all optional accept none.
 */
async function jsonBody<S extends z.ZodType>(c: Context<AppEnv>, schema: S): Promise<z.output<S>> {
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

function query<S extends z.ZodType>(c: Context<AppEnv>, schema: S): z.output<S> {
  return check(schema, c.req.query(), "query");
}

// ---------------------------------------------------------------------------
// Response shapes.

const isoOrNull = (ms: number | null): string | null => (ms === null ? null : dateTime(ms));

interface TenantView {
  id: string;
  name: string;
  scimBaseUrl: string;
  allowedDomains: string[];
  proGraceHours: number;
  locations: string[];
  licenceWhenAbsent: LicenceWhenAbsent;
  createdAt: string;
  stats?: TenantStats;
}

function tenantView(c: Context<AppEnv>, tenant: Tenant, stats?: TenantStats): TenantView {
  const view: TenantView = {
    id: tenant.id,
    name: tenant.name,
    // contract.md, "URLs": the Tenant URL a customer pastes into its identity provider.
    scimBaseUrl: `${new URL(c.req.url).origin}/tenants/${tenant.id}/scim/v2`,
    allowedDomains: tenant.allowedDomains,
    proGraceHours: tenant.proGraceHours,
    locations: tenant.locations,
    licenceWhenAbsent: tenant.licenceWhenAbsent,
    createdAt: dateTime(tenant.createdAt),
  };
  if (stats) view.stats = stats;
  return view;
}

// ---------------------------------------------------------------------------

async function existingTenant(db: Database, tenantId: string): Promise<Tenant> {
  // An id that cannot exist is just as unknown; no need to ask D1.
  const tenant = TENANT_ID_PATTERN.test(tenantId) ? await getTenant(db, tenantId) : undefined;
  if (!tenant) throw new AdminRequestError(404, "not_found", `No tenant "${tenantId}".`);
  return tenant;
}

const DEFAULT_PAGE = 500;

export function adminRoutes(): Hono<AppEnv> {
  const admin = new Hono<AppEnv>();
  // First: nothing below runs without the admin token (contract.md).
  admin.use("*", adminBearerAuth);

  admin.onError((err, c) => {
    if (err instanceof AdminRequestError) {
      return c.json({ error: err.error, detail: err.message, ...(err.fields ? { fields: err.fields } : {}) }, err.status);
    }
    console.error(JSON.stringify({ type: "error", requestId: c.get("requestId"), message: err.message }));
    return c.json({ error: "internal", detail: "Internal error." }, 500);
  });

  admin.post("/tenants", async (c) => {
    const body = await jsonBody(c, createTenantBody);
    try {
      const tenant = await createTenant(c.get("database").db, body);
      return c.json(tenantView(c, tenant), 201);
    } catch (err) {
      if (err instanceof TenantIdTakenError) throw new AdminRequestError(409, "conflict", err.message, [{ field: "id", message: "is already taken" }]);
      throw err;
    }
  });

  admin.get("/tenants", async (c) => {
    const { after, limit } = query(c, listTenantsQuery);
    const page = await listTenants(c.get("database").db, { after, limit: limit ?? DEFAULT_PAGE });
    // `next` is an addition to the contract's shape: present only when more tenants follow.
    return c.json({ tenants: page.tenants.map((t) => tenantView(c, t)), ...(page.next ? { next: page.next } : {}) });
  });

  admin.get("/tenants/:id", async (c) => {
    const { db } = c.get("database");
    const tenant = await existingTenant(db, c.req.param("id"));
    return c.json(tenantView(c, tenant, await getTenantStats(db, tenant.id)));
  });

  admin.patch("/tenants/:id", async (c) => {
    const { db } = c.get("database");
    await existingTenant(db, c.req.param("id"));
    const body = await jsonBody(c, patchTenantBody);
    const tenant = await patchTenant(db, c.req.param("id"), body);
    if (!tenant) throw new AdminRequestError(404, "not_found", `No tenant "${c.req.param("id")}".`);
    return c.json(tenantView(c, tenant));
  });

  admin.delete("/tenants/:id", async (c) => {
    const id = c.req.param("id");
    // deleteTenant also resumes the purge of a tenant already marked deleted.
    const found = TENANT_ID_PATTERN.test(id) && (await deleteTenant(c.get("database").db, c.env.TOKENS, id));
    if (!found) throw new AdminRequestError(404, "not_found", `No tenant "${id}".`);
    return c.body(null, 204);
  });

  admin.post("/tenants/:id/tokens", async (c) => {
    const { db } = c.get("database");
    const tenant = await existingTenant(db, c.req.param("id"));
    const body = await jsonBody(c, issueTokenBody);
    const label = body.label === undefined || body.label === null || body.label === "" ? null : body.label;
    const issued = await issueToken(db, c.env.TOKENS, tenant.id, { label, expiresInDays: body.expiresInDays ?? null });
    // The only time the plain token is ever shown (contract.md, "SCIM authentication").
    return c.json(
      { id: issued.id, token: issued.token, label: issued.label, createdAt: dateTime(issued.createdAt), expiresAt: isoOrNull(issued.expiresAt) },
      201,
    );
  });

  admin.get("/tenants/:id/tokens", async (c) => {
    const { db } = c.get("database");
    const tenant = await existingTenant(db, c.req.param("id"));
    const rows = await listTokens(db, tenant.id);
    return c.json({
      tokens: rows.map((t) => ({
        id: t.id,
        label: t.label,
        createdAt: dateTime(t.createdAt),
        expiresAt: isoOrNull(t.expiresAt),
        ...(t.lastUsedAt === null ? {} : { lastUsedAt: dateTime(t.lastUsedAt) }),
      })),
    });
  });

  admin.delete("/tenants/:id/tokens/:tokenId", async (c) => {
    const { db } = c.get("database");
    const tenant = await existingTenant(db, c.req.param("id"));
    const tokenId = c.req.param("tokenId");
    if (!(await revokeToken(db, c.env.TOKENS, tenant.id, tokenId))) {
      throw new AdminRequestError(404, "not_found", `No token "${tokenId}" for tenant "${tenant.id}".`);
    }
    return c.body(null, 204);
  });

  admin.get("/tenants/:id/licenses", async (c) => {
    const { db } = c.get("database");
    const tenant = await existingTenant(db, c.req.param("id"));
    const { status, after, limit } = query(c, licencesQuery);
    const page = await listLicences(db, tenant.id, { status, after, limit });
    // contract.md shape, plus `next` (a cursor for ?after=) when more follow.
    return c.json(page.nextCursor ? { licenses: page.licenses, next: page.nextCursor } : { licenses: page.licenses });
  });

  return admin;
}
