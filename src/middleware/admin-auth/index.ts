import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../../context.js";

/**
 * Admin authentication: `Authorization: Bearer <ADMIN_TOKEN>`, compared in
 * constant time (both sides hashed to equal length, then compared with
 * crypto.subtle.timingSafeEqual). ADMIN_TOKEN unset or empty → 503 for every
 * admin route; there is never a built-in default.
 */
async function digest(text: string): Promise<ArrayBuffer> {
  return crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
}

export const adminBearerAuth = createMiddleware<AppEnv>(async (c, next) => {
  const expected = c.env.ADMIN_TOKEN;
  if (!expected) {
    return c.json({ error: "admin_disabled", detail: "ADMIN_TOKEN is not configured; admin routes are disabled." }, 503);
  }
  const match = /^\s*Bearer\s+(\S+)\s*$/i.exec(c.req.header("authorization") ?? "");
  const presented = match?.[1] ?? "";
  const [a, b] = await Promise.all([digest(presented), digest(expected)]);
  if (!crypto.subtle.timingSafeEqual(a, b) || presented.length === 0) {
    c.header("WWW-Authenticate", 'Bearer realm="admin"');
    return c.json({ error: "unauthorized", detail: "A valid admin bearer token is required." }, 401);
  }
  await next();
});
