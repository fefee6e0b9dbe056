/**
 * GET /admin/tenants/{id}/requests: newest first, in pages with an opaque
 * cursor (null once nothing older is left), every entry once; a status class
 * filter; bounded work per page (a sparse status answers a short page and a
 * cursor instead of reading the whole log); a tenant sees only its own log.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { admin } from "../support/admin-client.js";
import { adminGet, insertEntry, loggedTenant } from "../support/provisioning-log.js";

const HOUR = 3_600_000;

interface Page {
  requests: Array<{ requestId: string; at: string; status: number; path: string; resourceId: string | null }>;
  nextCursor: string | null;
}

async function drain(base: string, query: string, limit: number): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const page: Page = await adminGet<Page>(`${base}?limit=${limit}${query}${cursor ? `&after=${cursor}` : ""}`);
    ids.push(...page.requests.map((r) => r.requestId));
    cursor = page.nextCursor;
    pages += 1;
  } while (cursor !== null && pages < 100);
  return { ids, pages };
}

/** `n` entries one minute apart, the newest `offset` minutes ago; every `everyError`-th is a 500. */
async function seed(tenantId: string, n: number, options: { now: number; everyError?: number; status?: number }): Promise<Array<{ id: string; at: number; status: number }>> {
  const out: Array<{ id: string; at: number; status: number }> = [];
  for (let i = 0; i < n; i++) {
    const at = options.now - i * 60_000;
    const status = options.everyError && i % options.everyError === 0 ? 500 : (options.status ?? (i % 3 === 0 ? 404 : 200));
    out.push({ id: await insertEntry(tenantId, { at, status, resourceId: i % 2 ? `res-${i}` : "" }), at, status });
  }
  return out;
}

describe("a tenant's request log", () => {
  it("pages newest first across hours, each entry exactly once, ending with a null cursor", async () => {
    const t = await loggedTenant();
    const now = Date.now();
    // 150 entries a minute apart: two and a half hours, with the same millisecond twice.
    const entries = await seed(t.id, 150, { now });
    const sameMs = await insertEntry(t.id, { at: entries[10]!.at, requestId: "zzzz-same-ms" });
    const expected = [...entries.map((e) => ({ id: e.id, at: e.at })), { id: sameMs, at: entries[10]!.at }]
      .sort((a, b) => b.at - a.at || (a.id < b.id ? 1 : -1))
      .map((e) => e.id);
    const { ids, pages } = await drain(`/admin/tenants/${t.id}/requests`, "", 7);
    expect(ids).toEqual(expected);
    // 151 entries: 21 full pages of 7 and a last one of 4, whose cursor is null.
    expect(pages).toBe(22);
    // The default page is 100; the whole log in one page of 1000.
    expect((await adminGet<Page>(`/admin/tenants/${t.id}/requests`)).requests).toHaveLength(100);
    const all = await adminGet<Page>(`/admin/tenants/${t.id}/requests?limit=1000`);
    expect(all.requests.map((r) => r.requestId)).toEqual(expected);
    expect(all.nextCursor).toBeNull();
    expect(Date.parse(all.requests[0]!.at)).toBe(now);
  });

  it("filters by status class", async () => {
    const t = await loggedTenant();
    const entries = await seed(t.id, 60, { now: Date.now(), everyError: 7 });
    const byStatus = (min: number) => entries.filter((e) => e.status >= min && e.status < min + 100).map((e) => e.id);
    expect((await drain(`/admin/tenants/${t.id}/requests`, "&status=5xx", 2)).ids).toEqual(byStatus(500));
    expect((await drain(`/admin/tenants/${t.id}/requests`, "&status=4xx", 4)).ids).toEqual(byStatus(400));
    const page = await adminGet<Page>(`/admin/tenants/${t.id}/requests?status=4xx&limit=1000`);
    expect(page.requests.every((r) => r.status >= 400 && r.status < 500)).toBe(true);
  });

  it("reads a bounded number of rows per page when the status is rare, and still finds it", async () => {
    const t = await loggedTenant();
    const now = Date.now();
    // One 500, three hours older than 2,400 successes (one every 4.5 s over three hours).
    const old = await insertEntry(t.id, { at: now - 4 * HOUR, status: 500 });
    await env.DB.prepare(
      `WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < 2399)
       INSERT INTO request_log (tenant_id, hour, resource_id, at, request_id, method, path, status, scim_type, detail, duration_ms, user_agent)
       SELECT ?1, (?2 - i * 4500) / 3600000, '', ?2 - i * 4500, 'bulk-' || i, 'GET', '/Users', 200, NULL, NULL, 1, NULL FROM s`,
    )
      .bind(t.id, now)
      .run();
    let cursor: string | null = null;
    const found: string[] = [];
    let pages = 0;
    do {
      const res = await admin("GET", `/admin/tenants/${t.id}/requests?status=5xx&limit=10${cursor ? `&after=${cursor}` : ""}`);
      expect(res.status).toBe(200);
      // The scan limit (1,000 entries) plus at most the hour it ends in (800 here), and the tenant's row.
      expect(Number(res.headers.get("x-d1-rows-read"))).toBeLessThanOrEqual(2 * 1000 + 800 + 10);
      const page = await res.json<Page>();
      found.push(...page.requests.map((r) => r.requestId));
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor !== null && pages < 20);
    expect(found).toEqual([old]);
    expect(pages).toBeGreaterThan(1);
  });

  it("shows a tenant only its own requests", async () => {
    const [a, b] = [await loggedTenant(), await loggedTenant()];
    // The same resource id and request id in both tenants.
    const now = Date.now();
    await insertEntry(a.id, { at: now, requestId: "shared-id", resourceId: "res-1" });
    await insertEntry(b.id, { at: now, requestId: "shared-id", resourceId: "res-1", status: 500 });
    const fromB = await a.request("GET", "/Users");
    expect(fromB.status).toBe(200);
    const pageA = await adminGet<Page>(`/admin/tenants/${a.id}/requests`);
    expect(pageA.requests.map((r) => r.status).sort()).toEqual([200, 200]);
    const pageB = await adminGet<Page>(`/admin/tenants/${b.id}/requests`);
    expect(pageB.requests).toHaveLength(1);
    expect(pageB.requests[0]).toMatchObject({ requestId: "shared-id", status: 500 });
    // A's cursor is only a position: on B it pages B's log.
    const cursorA = (await adminGet<Page>(`/admin/tenants/${a.id}/requests?limit=1`)).nextCursor;
    expect(cursorA).not.toBeNull();
    const onB = await adminGet<Page>(`/admin/tenants/${b.id}/requests?after=${cursorA}`);
    expect(onB.requests.every((r) => r.status === 500)).toBe(true);
  });

  it("answers 404 for an unknown or deleted tenant and 400 naming a bad parameter", async () => {
    expect((await admin("GET", `/admin/tenants/nobody-${crypto.randomUUID().slice(0, 6)}/requests`)).status).toBe(404);
    const t = await loggedTenant();
    await insertEntry(t.id, { at: Date.now() });
    for (const [query, field] of [
      ["status=2xx", "status"],
      ["limit=0", "limit"],
      ["limit=1001", "limit"],
      ["after=not-a-cursor", "after"],
      [`after=${btoa("v1:h:1:2:x")}`, "after"],
      ["since=yesterday", "since"],
    ] as const) {
      const res = await admin("GET", `/admin/tenants/${t.id}/requests?${query}`);
      expect(res.status, query).toBe(400);
      const body = await res.json<{ error: string; fields: Array<{ field: string }> }>();
      expect(body.error).toBe("invalid_request");
      expect(body.fields.map((f) => f.field)).toContain(field);
    }
    expect((await admin("DELETE", `/admin/tenants/${t.id}`)).status).toBe(204);
    expect((await admin("GET", `/admin/tenants/${t.id}/requests`)).status).toBe(404);
  });
});
