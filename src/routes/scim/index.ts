import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import type { AppEnv } from "../../context.js";
import { errorFields, log } from "../../log.js";
import { liveTenant } from "../../middleware/live-tenant/index.js";
import { authFailureThrottle, tenantRateLimit } from "../../middleware/rate-limit/index.js";
import { scimBearerAuth } from "../../middleware/scim-auth/index.js";
import { tenantShard } from "../../middleware/tenant-shard/index.js";
import { asScimError } from "../../provisioning/paused-writes.js";
import { MAX_PAYLOAD_SIZE } from "../../scim/discovery/index.js";
import { ScimError, scimErrorResponse } from "../../scim/errors.js";
import { discoveryRoutes } from "./discovery.js";
import { groupRoutes } from "./groups.js";
import { userRoutes } from "./users.js";

/** The body limit is the maxPayloadSize /ServiceProviderConfig advertises. */
const MAX_PAYLOAD_BYTES = MAX_PAYLOAD_SIZE;

const KNOWN_PATHS: Array<{ pattern: RegExp; methods: string[] }> = [
  { pattern: /^\/(Users|Groups)$/, methods: ["GET", "POST"] },
  { pattern: /^\/(Users|Groups)\/\.search$/, methods: ["POST"] },
  { pattern: /^\/(Users|Groups)\/[^/]+$/, methods: ["GET", "PUT", "PATCH", "DELETE"] },
  { pattern: /^\/(ServiceProviderConfig|ResourceTypes|Schemas)(\/[^/]+)?$/, methods: ["GET"] },
];

/** Renders any error under the SCIM sub-app as a SCIM Error (RFC 7644 §3.12); never a stack trace. */
export function toScimError(err: unknown): ScimError {
  if (err instanceof ScimError) return err;
  const known = asScimError(err);
  if (known) return known;
  if (err instanceof HTTPException) {
    if (err.status === 413) return new ScimError(413, `The request body exceeds ${MAX_PAYLOAD_BYTES} bytes.`);
    if (err.status === 400) return ScimError.invalidSyntax(err.message || "Malformed request.");
    return new ScimError(500, "Internal error.");
  }
  // Never the raw message: a D1 error carries the SQL and its bound values (src/log.ts).
  log("error", { type: "error", ...errorFields(err) });
  return new ScimError(500, "Internal error. The request was not applied.");
}

/**
 * The SCIM sub-app mounted at /tenants/:tenantId/scim/v2. Order matters:
 * body limit before auth reads nothing; the failure throttle wraps
 * authentication and the tenant checks (a 401 from any of them counts); the
 * request budget counts authenticated requests only; `/.search` routes are
 * registered before `/:id` by each resource module.
 */
export function scimApp(): Hono<AppEnv> {
  const scim = new Hono<AppEnv>();
  scim.onError((err, c) => {
    const error = toScimError(err);
    // For the provisioning log (src/middleware/request-log/): what was answered, without re-reading the body.
    c.set("scimError", { status: error.status, scimType: error.scimType, detail: error.message });
    return scimErrorResponse(error);
  });
  // The resource a request names, for the provisioning log: set first, so a request refused later still has it.
  scim.use("/:type{Users|Groups}/:id", async (c, next) => {
    if (c.req.param("id") !== ".search") c.set("resourceId", c.req.param("id"));
    await next();
  });
  scim.use(
    "*",
    bodyLimit({
      maxSize: MAX_PAYLOAD_BYTES,
      onError: () => {
        throw new ScimError(413, `The request body exceeds ${MAX_PAYLOAD_BYTES} bytes.`);
      },
    }),
  );
  // Failed authentications per tenant URL, counted around everything that can answer 401.
  scim.use("*", authFailureThrottle);
  scim.use("*", scimBearerAuth);
  // From here on the request's database is the tenant's data shard (docs/sharding.md).
  scim.use("*", tenantShard);
  // A deleted tenant is refused even while KV still serves its token.
  scim.use("*", liveTenant);
  // The tenant's request budget: authenticated requests only.
  scim.use("*", tenantRateLimit);
  scim.route("/", discoveryRoutes());
  scim.route("/Users", userRoutes());
  scim.route("/Groups", groupRoutes());
  // Unknown path or wrong method: still a SCIM error, 404 or 405.
  scim.all("*", (c) => {
    const rest = c.req.path.replace(/^\/tenants\/[^/]+\/scim\/v2/, "") || "/";
    const known = KNOWN_PATHS.find((p) => p.pattern.test(rest));
    if (known) {
      throw new ScimError(405, `Method ${c.req.method} is not allowed on ${rest}. Allowed: ${known.methods.join(", ")}.`, undefined, {
        Allow: known.methods.join(", "),
      });
    }
    throw ScimError.notFound(`No SCIM endpoint at ${rest}.`);
  });
  return scim;
}
