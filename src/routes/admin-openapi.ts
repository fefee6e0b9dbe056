/**
 * The admin API's OpenAPI 3.1 document, served at GET /admin/openapi.json.
 *
 * Each route module lists its operations next to the Zod schemas it
 * validates with (`…Operations` in admin.ts, in each admin route module it
 * mounts, and in oauth.ts); admin.ts gathers them (`documentedOperations`)
 * and this module turns them into the document. The request bodies and query
 * parameters in it are generated from those very schemas, so the document
 * cannot say one thing while the route checks another, and
 * test/admin-openapi.test.ts fails when a registered route has no operation.
 *
 * Why Zod's own z.toJSONSchema and not @hono/zod-openapi: Zod 4 emits JSON
 * Schema draft 2020-12, which is the schema dialect of OpenAPI 3.1 (OpenAPI
 * 3.1.1 §4.8.24, "Schema Object"), so its output goes into the document as
 * it is; @hono/zod-openapi would mean re-declaring every route through its
 * `createRoute` and its own validator in place of the admin API's error
 * shape, and two more packages.
 *
 * How a schema is read: a request body or query as the route accepts it
 * (io "input": before `.transform`, `.trim` and coercion), a response as the
 * route sends it (io "output"). A schema given an id (`.meta({ id })`) becomes
 * a component, `#/components/schemas/<id>`, referenced wherever it is used.
 */
import { z } from "zod";
import { EVENT_TYPES } from "../storage/events.js";
import { adminErrorBody } from "./admin-request.js";

export type HttpMethod = "get" | "post" | "put" | "patch" | "delete";

/** A response: its body (a Zod schema, read as output), media type and headers. */
export interface Reply {
  description: string;
  /** None for 204. */
  body?: z.ZodType;
  /** Of the body; application/json unless said. */
  contentType?: string;
  headers?: Record<string, { description: string; schema: z.ZodType }>;
}

/** Who may call an operation: the admin bearer token (the default), an OAuth client of the tenant, or anyone. */
export type Caller = "admin" | "oauth-client" | "anyone";

export interface Operation {
  /** Unique in the document: what a generated client names the call. */
  operationId: string;
  method: HttpMethod;
  /** Hono's syntax (`/tenants/:id/tokens`), relative to where the module is mounted (see mountedAt). */
  path: string;
  tag: string;
  summary: string;
  description?: string;
  /** Path parameters with their own schema; any other `:name` of the path is a plain string. */
  params?: z.ZodObject;
  /** The schema the route validates its query with. */
  query?: z.ZodObject;
  /** The schema the route validates its body with. */
  body?: z.ZodType;
  /** Of the request body; application/json unless said. */
  bodyContentType?: string;
  /** By status. Admin operations also get 400 (with a body or query), 401, 413 (with a body), 500 and 503 without listing them. */
  responses: Record<number, Reply>;
  caller?: Caller;
}

/** A moment as the admin API writes it (src/scim/data-types.ts `dateTime`): RFC 3339, UTC, milliseconds. */
export const instant = z.iso.datetime({ precision: 3 });

/** The header of every response that shows a secret or a token once. */
export const noStoreHeader: Reply["headers"] = {
  "Cache-Control": { description: "no-store: no cache on the way may keep the secret (RFC 9111 §5.2.2.5).", schema: z.literal("no-store") },
};

/**
 * An event as the change feed and a user's history show it
 * (src/feed/events.ts `feedEvent`; docs/events.md): the one response schema
 * two route modules share, admin.ts (the feed) and admin-requests.ts (history).
 */
export const feedEventSchema = z
  .strictObject({
    id: z.string().meta({ description: "`evt_<n>`: also the `webhook-id` of its webhook deliveries." }),
    tenantId: z.string(),
    sequence: z.int().positive().meta({ description: "The tenant's sequence number: 1, 2, 3… without gaps." }),
    occurredAt: instant,
    type: z.enum(EVENT_TYPES),
    resourceId: z.string().meta({ description: "The user or group; for licence.* the user." }),
    externalId: z.string().nullable(),
    data: z.unknown().meta({ description: "Per type: docs/events.md, \"Event\"." }),
    requestId: z.string().meta({ description: "The SCIM request that caused it (its X-Request-Id), or `sweep`." }),
  })
  .meta({ id: "Event" });

/** A refusal in the admin API's error shape. */
export const errorReply = (description: string): Reply => ({ description, body: adminErrorBody });

/** The 404 of every route under /admin/tenants/{id}. */
export const noTenantReply = errorReply("not_found: no such tenant (or it is being deleted).");

/**
 * `operations` of a Hono app mounted with `app.route(prefix, …)`: their paths
 * as the parent registers them, and the prefix's own parameters (`params`).
 */
export function mountedAt(prefix: string, operations: readonly Operation[], params?: z.ZodObject): Operation[] {
  return operations.map((op) => ({
    ...op,
    path: op.path === "/" ? prefix : `${prefix}${op.path}`,
    ...(params ? { params: op.params ? params.extend(op.params.shape) : params } : {}),
  }));
}

/** `/tenants/:id/tokens` → `/tenants/{id}/tokens` (OpenAPI 3.1.1 §4.8.8, "Path Templating"). */
export function openApiPath(honoPath: string): string {
  return honoPath.replace(/:([A-Za-z0-9_]+)/g, "{$1}");
}

type JsonSchema = Record<string, unknown>;

const COMPONENT_REF = "#/components/schemas/";

/** Every `$ref` to Zod's local `$defs` made a reference to the document's components. */
function toComponentRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toComponentRefs);
  if (typeof value !== "object" || value === null) return value;
  const out: JsonSchema = {};
  for (const [key, v] of Object.entries(value)) {
    out[key] = key === "$ref" && typeof v === "string" && v.startsWith("#/$defs/") ? COMPONENT_REF + v.slice("#/$defs/".length) : toComponentRefs(v);
  }
  return out;
}

class DocumentBuilder {
  readonly schemas: Record<string, JsonSchema> = {};

  /** `schema` as JSON Schema 2020-12; its named parts go to the components. */
  schema(schema: z.ZodType, io: "input" | "output"): JsonSchema {
    const generated = z.toJSONSchema(schema, {
      io,
      target: "draft-2020-12",
      // A date-time is `format: date-time` (RFC 3339); the long pattern Zod adds for it says no more.
      override: ({ jsonSchema }) => {
        if (jsonSchema.format === "date-time") delete jsonSchema.pattern;
        // z.int()'s own bounds are JavaScript's safe integers, not a rule of the API.
        if (jsonSchema.minimum === Number.MIN_SAFE_INTEGER) delete jsonSchema.minimum;
        if (jsonSchema.maximum === Number.MAX_SAFE_INTEGER) delete jsonSchema.maximum;
      },
    }) as JsonSchema;
    // $schema: OpenAPI 3.1 documents default to their own dialect (jsonSchemaDialect), a superset of 2020-12.
    const { $schema: _dialect, $defs, ...root } = generated;
    for (const [name, def] of Object.entries(($defs ?? {}) as Record<string, unknown>)) {
      const component = toComponentRefs(def) as JsonSchema;
      const known = this.schemas[name];
      // Two schemas may not share a name: a component must say exactly what each use of it means.
      if (known !== undefined && JSON.stringify(known) !== JSON.stringify(component)) throw new Error(`Two different schemas are named "${name}".`);
      this.schemas[name] = component;
    }
    return toComponentRefs(root) as JsonSchema;
  }

  /** The properties of an object schema as parameters `in` the path or the query. */
  parameters(object: z.ZodObject, where: "path" | "query"): Array<Record<string, unknown>> {
    const json = this.schema(object, "input");
    const properties = (json["properties"] ?? {}) as Record<string, JsonSchema>;
    const required = new Set((json["required"] ?? []) as string[]);
    return Object.entries(properties).map(([name, { description, ...schema }]) => ({
      name,
      in: where,
      // Path parameters are always required (OpenAPI 3.1.1 §4.8.12.1).
      required: where === "path" || required.has(name),
      ...(description === undefined ? {} : { description }),
      schema,
    }));
  }

  reply(reply: Reply): Record<string, unknown> {
    const headers = Object.entries(reply.headers ?? {}).map(([name, h]) => [name, { description: h.description, schema: this.schema(h.schema, "output") }]);
    return {
      description: reply.description,
      ...(headers.length > 0 ? { headers: Object.fromEntries(headers) } : {}),
      ...(reply.body ? { content: { [reply.contentType ?? "application/json"]: { schema: this.schema(reply.body, "output") } } } : {}),
    };
  }

  operation(op: Operation): Record<string, unknown> {
    const caller = op.caller ?? "admin";
    const pathNames = [...op.path.matchAll(/:([^/]+)/g)].map((m) => m[1] ?? "");
    for (const name of pathNames) {
      // Hono's optional (`:id?`) and pattern (`:id{…}`) parameters have no OpenAPI spelling here.
      if (!/^[A-Za-z0-9_]+$/.test(name)) throw new Error(`${op.operationId}: path parameter ":${name}" is not a plain name.`);
    }
    const pathParams = op.params ? this.parameters(op.params, "path") : [];
    for (const p of pathParams) if (!pathNames.includes(String(p["name"]))) throw new Error(`${op.operationId}: "${String(p["name"])}" is not in ${op.path}.`);
    const parameters = [
      ...pathNames.map((name) => pathParams.find((p) => p["name"] === name) ?? { name, in: "path", required: true, schema: { type: "string" } }),
      ...(op.query ? this.parameters(op.query, "query") : []),
    ];

    const responses: Record<number, Reply> = { ...op.responses };
    if (caller === "admin") {
      if (op.body || op.query) {
        responses[400] ??= errorReply("invalid_request: the body or the query is refused; `fields` names each refused field and why.");
      }
      responses[401] ??= {
        ...errorReply("unauthorized: no admin bearer token, or not this one."),
        headers: { "WWW-Authenticate": { description: 'Bearer realm="admin" (RFC 6750 §3).', schema: z.string() } },
      };
      if (op.body) responses[413] ??= errorReply("payload_too_large: the body is over 1 MiB.");
      responses[500] ??= errorReply("internal: an unexpected failure; the body says nothing more, the worker's log does.");
      responses[503] ??= errorReply("admin_disabled: ADMIN_TOKEN is not configured, so every admin route is off.");
    }

    return {
      operationId: op.operationId,
      tags: [op.tag],
      summary: op.summary,
      ...(op.description ? { description: op.description } : {}),
      ...(parameters.length > 0 ? { parameters } : {}),
      ...(op.body
        ? {
            requestBody: {
              // The admin routes read an empty body as {}: a body is optional exactly where {} is valid.
              required: !op.body.safeParse({}).success,
              content: { [op.bodyContentType ?? "application/json"]: { schema: this.schema(op.body, "input") } },
            },
          }
        : {}),
      responses: Object.fromEntries(
        Object.entries(responses)
          .sort(([a], [b]) => Number(a) - Number(b))
          .map(([status, reply]) => [status, this.reply(reply)]),
      ),
      // Security Requirement Objects (OpenAPI 3.1.1 §4.8.30): [] is "no authentication"; {} in a list makes it optional.
      ...(caller === "anyone" ? { security: [] } : caller === "oauth-client" ? { security: [{ clientSecretBasic: [] }, {}] } : {}),
    };
  }
}

export interface DocumentInfo {
  title: string;
  version: string;
  description: string;
  tags: Array<{ name: string; description: string }>;
}

/**
 * The document for `operations` (full paths, as the worker registers them),
 * served from `origin`. Built once; only `servers` depends on the request.
 */
export function openApiDocument(info: DocumentInfo, operations: readonly Operation[]): (origin: string) => Record<string, unknown> {
  let built: { paths: Record<string, Record<string, unknown>>; schemas: Record<string, JsonSchema> } | undefined;
  const build = () => {
    const builder = new DocumentBuilder();
    const paths: Record<string, Record<string, unknown>> = {};
    const ids = new Set<string>();
    for (const op of operations) {
      if (ids.has(op.operationId)) throw new Error(`Two operations have the id "${op.operationId}".`);
      ids.add(op.operationId);
      const item = (paths[openApiPath(op.path)] ??= {});
      if (item[op.method] !== undefined) throw new Error(`${op.method.toUpperCase()} ${op.path} is described twice.`);
      item[op.method] = builder.operation(op);
    }
    // The error body is a component whether or not an operation named it first.
    builder.schema(adminErrorBody, "output");
    return { paths, schemas: builder.schemas };
  };
  return (origin) => {
    built ??= build();
    return {
      openapi: "3.1.1",
      info: { title: info.title, version: info.version, description: info.description },
      servers: [{ url: origin }],
      // Every operation needs the admin token unless it says otherwise.
      security: [{ adminToken: [] }],
      tags: info.tags,
      paths: built.paths,
      components: {
        schemas: built.schemas,
        securitySchemes: {
          adminToken: {
            type: "http",
            scheme: "bearer",
            description: "The worker secret ADMIN_TOKEN (README, \"Configuration\"). Unset or empty: every admin route answers 503.",
          },
          clientSecretBasic: {
            type: "http",
            scheme: "basic",
            description: "An OAuth client's id and secret (RFC 6749 §2.3.1, client_secret_basic); or send them as client_id and client_secret in the form instead.",
          },
        },
      },
    };
  };
}
