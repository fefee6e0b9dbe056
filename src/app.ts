import { Hono } from "hono";
import { requestId } from "hono/request-id";
import { secureHeaders } from "hono/secure-headers";
import type { AppEnv } from "./context.js";
import { meteredDatabase } from "./middleware/metered-database/index.js";
import { requestLog } from "./middleware/request-log/index.js";
import { scimAwarePath } from "./request-path.js";
import { adminRoutes } from "./routes/admin.js";
import { scimApp } from "./routes/scim/index.js";
import { ScimError, scimErrorResponse } from "./scim/errors.js";

/** The whole HTTP surface (contract.md, "URLs"), composed in one place. */
export function createApp(): Hono<AppEnv> {
  const app = new Hono<AppEnv>({ getPath: scimAwarePath });
  app.use("*", requestId());
  app.use("*", meteredDatabase);
  app.use("*", requestLog);

  app.get("/healthz", (c) => c.json({ status: "ok" }));

  app.use("/admin/*", secureHeaders());
  app.route("/admin", adminRoutes());

  app.route("/tenants/:tenantId/scim/v2", scimApp());

  // notFound is honoured only on the top-level app (platform-notes §5).
  app.notFound((c) => {
    if (c.req.path.startsWith("/tenants/")) return scimErrorResponse(ScimError.notFound(`No SCIM endpoint at ${c.req.path}.`));
    return c.json({ error: "not_found", detail: `No route for ${c.req.method} ${c.req.path}.` }, 404);
  });
  app.onError((err, c) => {
    console.error(JSON.stringify({ type: "error", requestId: c.get("requestId"), message: err.message }));
    return c.json({ error: "internal", detail: "Internal error." }, 500);
  });
  return app;
}
