/**
 * What the provisioning log costs and what it may never do: an entry is
 * exactly one row written (and one read: the tenant's row), written after
 * the response — so the request's own x-d1-rows-written does not include it
 * — and a failure to write it changes nothing the client sees: the same
 * status, body and headers, and one JSON error line that quotes no SQL.
 */
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { writeRequestLogEntry } from "../../src/storage/request-log.js";
import { createGroup, createUser, PATCH_OP } from "../support/licences.js";
import { entryOf, loggedTenant, logRows } from "../support/provisioning-log.js";

afterEach(() => {
  vi.restoreAllMocks();
});

/** The JSON lines the worker prints while `run` runs (console.log / console.error), parsed. */
async function linesOf(run: () => Promise<void>): Promise<Array<Record<string, unknown>>> {
  const lines: string[] = [];
  const keep = (line: unknown) => void lines.push(String(line));
  vi.spyOn(console, "log").mockImplementation(keep);
  vi.spyOn(console, "error").mockImplementation(keep);
  try {
    await run();
  } finally {
    vi.restoreAllMocks();
  }
  return lines.flatMap((l) => {
    try {
      return [JSON.parse(l) as Record<string, unknown>];
    } catch {
      return [];
    }
  });
}

describe("the cost of an entry", () => {
  it("is one row written and one read, for every kind of request", async () => {
    const t = await loggedTenant();
    const u = await createUser(t, "uma@contoso.com");
    const g = await createGroup(t, "Team", "True");
    const lines = await linesOf(async () => {
      await t.request("POST", "/Users", { userName: "vic@contoso.com", active: true });
      await t.request("GET", `/Users/${u}`);
      await t.request("GET", `/Users?filter=${encodeURIComponent('userName eq "uma@contoso.com"')}`);
      await t.request("PATCH", `/Groups/${g}`, { schemas: [PATCH_OP], Operations: [{ op: "add", path: "members", value: [{ value: u }] }] });
      await t.request("PATCH", `/Users/${u}`, { schemas: [PATCH_OP], Operations: [{ op: "replace", path: "nope", value: 1 }] });
      await t.request("DELETE", `/Users/${u}`);
      await t.raw("GET", "/Users", { headers: { authorization: "Bearer wrong" } });
    });
    const writes = lines.filter((l) => l["type"] === "provisioning-log-write");
    expect(writes).toHaveLength(7);
    for (const w of writes) expect(w).toMatchObject({ level: "info", rowsWritten: 1, rowsRead: 1 });
    // The request lines are unchanged: one per request, as before.
    expect(lines.filter((l) => l["type"] === "request")).toHaveLength(7);
  });

  it("is what D1 reports for the statement itself", async () => {
    const t = await loggedTenant();
    const entry = {
      tenantId: t.id,
      at: Date.now(),
      requestId: crypto.randomUUID(),
      resourceId: crypto.randomUUID(),
      method: "PATCH",
      path: "/Users/x",
      status: 400,
      scimType: "invalidValue",
      detail: "Attribute \"active\" must be a boolean",
      durationMs: 12,
      userAgent: "Okta SCIM Client 1.0.0",
    };
    const result = await writeRequestLogEntry(env.DB, entry);
    expect(result.meta.rows_written).toBe(1);
    expect(result.meta.rows_read).toBe(1);
    // A tenant that does not exist gets no row and costs no write.
    const none = await writeRequestLogEntry(env.DB, { ...entry, tenantId: "no-such-tenant" });
    expect(none.meta.rows_written).toBe(0);
    expect(await logRows("no-such-tenant")).toEqual([]);
  });

  it("is not in the request's x-d1-rows-written: the headers are sent before the entry is written", async () => {
    const t = await loggedTenant();
    const u = await createUser(t, "wes@contoso.com");
    const read = await t.request("GET", `/Users/${u}`);
    expect(read.status).toBe(200);
    expect(read.rowsWritten).toBe(0);
    await entryOf(t.id, read);
  });
});

describe("a failure to write the log", () => {
  it("changes nothing the client sees, and is one JSON error line without SQL", async () => {
    const t = await loggedTenant();
    const u = await createUser(t, "xia@contoso.com");
    const normal = await t.request("GET", `/Users/${u}`);
    // A real D1 failure: the table is not there while these requests run.
    await env.DB.exec("ALTER TABLE request_log RENAME TO request_log_away");
    let failing: Awaited<ReturnType<typeof t.request>> | undefined;
    let refused: Awaited<ReturnType<typeof t.request>> | undefined;
    let lines: Array<Record<string, unknown>>;
    try {
      lines = await linesOf(async () => {
        failing = await t.request("GET", `/Users/${u}`);
        refused = await t.request("PATCH", `/Users/${u}`, { schemas: [PATCH_OP], Operations: [{ op: "replace", path: "nope", value: 1 }] });
      });
    } finally {
      await env.DB.exec("ALTER TABLE request_log_away RENAME TO request_log");
    }
    expect(failing?.status).toBe(200);
    expect(failing?.body).toEqual(normal.body);
    expect(failing?.rowsRead).toBe(normal.rowsRead);
    expect(failing?.rowsWritten).toBe(normal.rowsWritten);
    expect(failing?.headers.get("content-type")).toBe(normal.headers.get("content-type"));
    expect(refused?.status).toBe(400);
    expect(refused?.body.scimType).toBe("invalidPath");
    const failures = lines.filter((l) => l["type"] === "provisioning-log-failed");
    expect(failures).toHaveLength(2);
    for (const f of failures) {
      expect(f).toMatchObject({ level: "error", tenant: t.id });
      expect(JSON.stringify(f)).not.toMatch(/INSERT|request_log \(|xia@contoso/i);
    }
    expect(failures.map((f) => f["requestId"])).toEqual([failing?.headers.get("x-request-id"), refused?.headers.get("x-request-id")]);
    // And the log works again.
    await entryOf(t.id, await t.request("GET", `/Users/${u}`));
  });
});
