/**
 * Safe operations: tenant ids that cannot exist are refused
 * before any KV or D1 read; the admin API has a body limit and issues
 * tokens with Cache-Control: no-store; error logs are JSON lines with a
 * `level` and never carry SQL, bound parameters or tokens.
 */
import { env } from "cloudflare:workers";
import { sql } from "drizzle-orm";
import { afterEach, describe, expect, it, vi } from "vitest";
import { errorFields, redactMessage } from "../src/log.js";
import { toScimError } from "../src/routes/scim/index.js";
import { dbFor } from "../src/storage/database.js";
import { sha256Hex, tokenKey } from "../src/storage/tokens.js";
import { ADMIN_MAX_BODY_BYTES } from "../src/routes/admin.js";
import { admin, createTenant, issueToken, scim } from "./support/admin-client.js";

const rowsRead = (res: Response) => Number(res.headers.get("x-d1-rows-read"));

afterEach(() => {
  vi.restoreAllMocks();
});

describe("a tenant id that does not match ^[a-z0-9][a-z0-9-]{0,62}$", () => {
  const malformed = ["Acme", "acme_corp", "-acme", "a".repeat(64), "acme.com", "%E2%80%8Bacme"];

  it.each(malformed)("SCIM %s: 401 before KV is read (a token stored under that id is never found) and nothing read from D1", async (id) => {
    const token = `scim_${crypto.randomUUID()}`;
    // Were KV read, this record would authenticate the request.
    await env.TOKENS.put(tokenKey(decodeURIComponent(id), await sha256Hex(token)), JSON.stringify({ tokenId: "t", expiresAt: null }));
    const res = await scim(id, "/Users", { token });
    expect(res.status).toBe(401);
    expect(res.headers.get("content-type")).toMatch(/^application\/scim\+json/);
    expect(rowsRead(res)).toBe(0);
    expect(Number(res.headers.get("x-d1-rows-written"))).toBe(0);
  });

  it.each(malformed)("admin %s: 404 on every tenant route, nothing read from D1", async (id) => {
    for (const [method, path, body] of [
      ["GET", `/admin/tenants/${id}`, undefined],
      ["PATCH", `/admin/tenants/${id}`, { name: "x" }],
      ["DELETE", `/admin/tenants/${id}`, undefined],
      ["POST", `/admin/tenants/${id}/tokens`, {}],
      ["GET", `/admin/tenants/${id}/tokens`, undefined],
      ["DELETE", `/admin/tenants/${id}/tokens/x`, undefined],
      ["GET", `/admin/tenants/${id}/licenses`, undefined],
    ] as const) {
      const res = await admin(method, path, body);
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(((await res.json()) as { error: string }).error).toBe("not_found");
      expect(rowsRead(res), `${method} ${path}`).toBe(0);
    }
  });
});

describe("admin API", () => {
  it(`refuses a body over ${ADMIN_MAX_BODY_BYTES} bytes with 413, and accepts the largest valid tenant`, async () => {
    const big = JSON.stringify({ name: "Big", locations: ["x".repeat(ADMIN_MAX_BODY_BYTES)] });
    const res = await admin("POST", "/admin/tenants", big);
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ error: "payload_too_large" });
    // 1,000 locations of 200 characters (3 bytes each in UTF-8) and 100 domains of 253: the schema's maxima.
    const largest = {
      id: `big-${crypto.randomUUID().slice(0, 8)}`,
      name: "Largest",
      locations: Array.from({ length: 1000 }, (_, i) => `${i}`.padEnd(200, "é")),
      allowedDomains: Array.from({ length: 100 }, (_, i) => `${"d".repeat(240)}${i}.example`.slice(-253)),
    };
    expect(new TextEncoder().encode(JSON.stringify(largest)).length).toBeLessThan(ADMIN_MAX_BODY_BYTES);
    expect((await admin("POST", "/admin/tenants", largest)).status).toBe(201);
  });

  it("answers a token issue with Cache-Control: no-store", async () => {
    const id = `ns-${crypto.randomUUID().slice(0, 8)}`;
    await createTenant({ id, name: "No store" });
    const res = await admin("POST", `/admin/tenants/${id}/tokens`, { label: "Entra" });
    expect(res.status).toBe(201);
    expect(res.headers.get("cache-control")).toBe("no-store");
    await issueToken(id);
  });
});

describe("error logs", () => {
  /** A real Drizzle error from the local D1: its message carries the SQL and the bound values. */
  async function drizzleError(): Promise<unknown> {
    const { db } = dbFor(env.DB);
    try {
      await db.run(sql`SELECT doc FROM no_such_table WHERE tenant_id = ${"secret-tenant"} AND user_name_key = ${"alice@contoso.com"}`);
    } catch (err) {
      return err;
    }
    throw new Error("the query should have failed");
  }

  it("a Drizzle error is logged as its class, the driver's message and frames: no SQL, no parameters", async () => {
    const err = await drizzleError();
    expect(String((err as Error).message)).toContain("alice@contoso.com");
    const fields = errorFields(err);
    const text = JSON.stringify(fields);
    for (const leaked of ["alice@contoso.com", "secret-tenant", "SELECT", "no_such_table WHERE", "params"]) expect(text).not.toContain(leaked);
    expect(fields.error).toBe("DrizzleQueryError");
    expect(fields.message).toMatch(/no such table/);
  });

  it("messages lose quoted values, statements, parameters and token-shaped strings", () => {
    expect(redactMessage(`D1_TYPE_ERROR: Type 'object' not supported for value 'alice@contoso.com'`)).toBe("D1_TYPE_ERROR: Type ? not supported for value ?");
    expect(redactMessage("Failed query: INSERT INTO users VALUES (?)\nparams: bob")).toBe("[query redacted]");
    expect(redactMessage("near: update users set doc = 1 where x")).toBe("near: [sql redacted]");
    expect(redactMessage("bad token scim_AbCdEf0123456789 in Bearer abc.def")).toBe("bad token scim_[redacted] in Bearer [redacted]");
  });

  it("an unexpected SCIM error is one JSON line with level error and nothing of the query", async () => {
    const lines: string[] = [];
    vi.spyOn(console, "error").mockImplementation((line: unknown) => void lines.push(String(line)));
    const scimError = toScimError(await drizzleError());
    expect(scimError.status).toBe(500);
    expect(scimError.message).toBe("Internal error. The request was not applied.");
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(line.level).toBe("error");
    expect(lines[0]).not.toContain("alice@contoso.com");
    expect(lines[0]).not.toContain("SELECT");
  });
});
