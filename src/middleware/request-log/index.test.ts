import { env } from "cloudflare:workers";
import { Hono } from "hono";
import { requestId } from "hono/request-id";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { AppEnv } from "../../context.js";
import { meteredDatabase } from "../metered-database/index.js";
import { requestLog } from "./index.js";

function app() {
  const a = new Hono<AppEnv>();
  a.use("*", requestId(), meteredDatabase, requestLog);
  a.post("/t/:tenantId/x", async (c) => {
    await c.get("database").d1.prepare("SELECT count(*) AS n FROM tenants").all();
    c.set("writeAttempts", 2);
    return c.text("ok");
  });
  return a;
}

afterEach(() => vi.restoreAllMocks());

describe("requestLog", () => {
  it("writes one JSON line with level, route, status, D1 figures and write attempts — never a header or the body", async () => {
    const lines: string[] = [];
    vi.spyOn(console, "log").mockImplementation((line: string) => void lines.push(line));
    const res = await app().request("/t/acme/x", { method: "POST", headers: { authorization: "Bearer tok-SECRET" }, body: "body-SECRET" }, env);
    expect(res.status).toBe(200);
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(line).toMatchObject({ level: "info", type: "request", tenant: "acme", method: "POST", route: "/t/:tenantId/x", status: 200, d1Statements: 1, writeAttempts: 2 });
    expect(typeof line.requestId).toBe("string");
    expect(lines[0]).not.toContain("SECRET");
  });

  it("sets x-d1-rows-read / -written and x-write-attempts only when EXPOSE_DB_METRICS is true", async () => {
    vi.spyOn(console, "log").mockImplementation(() => undefined);
    const on = await app().request("/t/acme/x", { method: "POST" }, { ...env, EXPOSE_DB_METRICS: "true" });
    expect(on.headers.get("x-d1-rows-read")).toMatch(/^\d+$/);
    expect(on.headers.get("x-d1-rows-written")).toBe("0");
    expect(on.headers.get("x-write-attempts")).toBe("2");
    const off = await app().request("/t/acme/x", { method: "POST" }, { ...env, EXPOSE_DB_METRICS: "false" });
    expect(off.headers.get("x-d1-rows-read")).toBeNull();
    expect(off.headers.get("x-write-attempts")).toBeNull();
  });
});
