import { Hono } from "hono";
import { requestId } from "hono/request-id";
import { secureHeaders } from "hono/secure-headers";
import type { AppEnv } from "./context.js";
import { errorFields, log } from "./log.js";
import { meteredDatabase } from "./middleware/metered-database/index.js";
import { requestLog } from "./middleware/request-log/index.js";
import { scimAwarePath } from "./request-path.js";
import { adminRoutes } from "./routes/admin.js";
import { oauthRoutes } from "./routes/oauth.js";
import { consoleRoutes } from "./routes/console.js";
import { scimApp } from "./routes/scim/index.js";
import { ScimError, scimErrorResponse } from "./scim/errors.js";

/** The whole HTTP surface (README: "Admin API", "Set up Microsoft Entra ID"), composed in one place. */
export function createApp(): Hono<AppEnv> {
  const app = new Hono<AppEnv>({ getPath: scimAwarePath });
  app.use("*", requestId());
  app.use("*", meteredDatabase);
  app.use("*", requestLog);

  app.get("/healthz", (c) => c.json({ status: "ok" }));

  app.use("/admin/*", secureHeaders());
  app.route("/admin", adminRoutes());

  app.route("/tenants/:tenantId/scim/v2", scimApp());
  // Each tenant's token endpoint and RFC 8414 metadata (client credentials, RFC 6749 §4.4).
  app.route("/", oauthRoutes());
  // The support console and the customer's setup page (README, "Console and setup link").
  app.route("/", consoleRoutes());

  // notFound is honoured only on the top-level app (Hono's docs: "notFound is only called from the top-level app").
  app.notFound((c) => {
    if (c.req.path.startsWith("/tenants/")) return scimErrorResponse(ScimError.notFound(`No SCIM endpoint at ${c.req.path}.`));
    return c.json({ error: "not_found", detail: `No route for ${c.req.method} ${c.req.path}.` }, 404);
  });
  app.onError((err, c) => {
    // Never err.message as such: a D1 error carries the SQL and its bound values (src/log.ts).
    log("error", { type: "error", requestId: c.get("requestId"), ...errorFields(err) });
    return c.json({ error: "internal", detail: "Internal error." }, 500);
  });
  return app;
}
