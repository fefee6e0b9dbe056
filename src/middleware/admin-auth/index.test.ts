import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import type { AppEnv } from "../../context.js";
import { adminBearerAuth } from "./index.js";

function app() {
  const a = new Hono<AppEnv>();
  a.use("*", adminBearerAuth);
  a.get("/", (c) => c.text("ok"));
  return a;
}
const call = (token: string | undefined, adminToken: string | undefined) =>
  app().request("/", { headers: token === undefined ? {} : { authorization: token } }, { ADMIN_TOKEN: adminToken });

describe("adminBearerAuth", () => {
  it("passes the configured token, Bearer in any case", async () => {
    expect((await call("Bearer s3cret-admin", "s3cret-admin")).status).toBe(200);
    expect((await call("bearer s3cret-admin", "s3cret-admin")).status).toBe(200);
  });
  it("refuses a missing, wrong, longer or shorter token with 401 and a WWW-Authenticate challenge", async () => {
    for (const token of [undefined, "", "Bearer", "Bearer s3cret-admi", "Bearer s3cret-admin2", "Basic s3cret-admin"]) {
      const res = await call(token, "s3cret-admin");
      expect(res.status, String(token)).toBe(401);
      expect(res.headers.get("www-authenticate")).toContain("Bearer");
    }
  });
  it("answers 503 for every request when ADMIN_TOKEN is unset or empty: never a built-in secret", async () => {
    for (const configured of [undefined, ""]) {
      const res = await call("Bearer ", configured);
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ error: "admin_disabled" });
    }
  });
});
