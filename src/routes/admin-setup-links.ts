/**
 * Admin API for setup links (README, "Console and setup link"), mounted by
 * src/routes/admin.ts at /admin/tenants/:id/setup-links, behind the admin
 * bearer token:
 *
 *   POST   /            { "expiresInDays"? } → 201 { id, url, expiresAt }; the url is shown once
 *   DELETE /:linkId     revoke: the link stops working at once
 *
 * A setup link opens the customer's self-serve page for this tenant only
 * (src/console/setup.tsx); only the SHA-256 of its secret is stored
 * (src/storage/setup-links.ts). Errors are AdminRequestErrors rendered by
 * adminErrorHandler (src/routes/admin-request.ts).
 */
import { Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "../context.js";
import { dateTime } from "../scim/data-types.js";
import { createSetupLink, DEFAULT_SETUP_LINK_DAYS, MAX_SETUP_LINK_DAYS, revokeSetupLink } from "../storage/setup-links.js";
import { errorReply, instant, noStoreHeader, type Operation } from "./admin-openapi.js";
import { adminErrorHandler, jsonBody, notFound, pathTenant } from "./admin-request.js";

const daysError = `must be an integer from 1 to ${MAX_SETUP_LINK_DAYS} (days)`;
const createBody = z.strictObject({
  expiresInDays: z.int({ error: daysError }).min(1, { error: daysError }).max(MAX_SETUP_LINK_DAYS, { error: daysError }).optional(),
});

const issuedLink = z
  .strictObject({
    id: z.string(),
    url: z.url().meta({ description: "The page for the customer's IT admin, shown this once: only a hash of its secret is stored." }),
    expiresAt: instant,
  })
  .meta({ id: "SetupLink" });

export function setupLinkRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.onError(adminErrorHandler);

  app.post("/", async (c) => {
    const tenant = await pathTenant(c);
    const body = await jsonBody(c, createBody);
    const link = await createSetupLink(c.get("database").db, tenant, body.expiresInDays ?? DEFAULT_SETUP_LINK_DAYS);
    // The one time the link's secret is shown: no cache may keep it.
    c.header("Cache-Control", "no-store");
    const url = `${new URL(c.req.url).origin}/setup/${tenant.id}/${link.presented}`;
    return c.json({ id: link.id, url, expiresAt: dateTime(link.expiresAt) }, 201);
  });

  app.delete("/:linkId", async (c) => {
    const tenant = await pathTenant(c);
    const linkId = c.req.param("linkId");
    if (!(linkId.length <= 64 && (await revokeSetupLink(c.get("database").db, tenant.id, linkId)))) {
      throw notFound(`No setup link "${linkId}" for tenant "${tenant.id}".`);
    }
    return c.body(null, 204);
  });

  return app;
}

/** The routes above for the OpenAPI document, relative to /admin/tenants/:id/setup-links. */
export const setupLinkOperations: Operation[] = [
  {
    operationId: "createSetupLink",
    method: "post",
    path: "/",
    tag: "Tenants",
    summary: "Create a setup link: the customer's self-serve page for this tenant",
    description: `Expires after \`expiresInDays\` (default ${DEFAULT_SETUP_LINK_DAYS}, at most ${MAX_SETUP_LINK_DAYS}). The url is in this answer only.`,
    body: createBody,
    responses: { 201: { description: "Created.", body: issuedLink, headers: noStoreHeader }, 404: errorReply("not_found: no such tenant.") },
  },
  {
    operationId: "revokeSetupLink",
    method: "delete",
    path: "/:linkId",
    tag: "Tenants",
    summary: "Revoke a setup link: it stops working at once",
    responses: { 204: { description: "Revoked." }, 404: errorReply("not_found: no such tenant, or no such live link of it.") },
  },
];
