/**
 * GET /admin/tenants/{id}/users/{userId}/history: the user's events (change
 * feed) and the SCIM requests that named it, merged newest first, in pages
 * with an opaque cursor — "why is this user not Pro?". Licence events caused
 * by group requests are there (with that request's id); membership events,
 * whose resource is the group, are not. Bounded reads; the tenant's own only.
 */
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { readUserHistory } from "../../src/provisioning-log/history.js";
import { dbFor } from "../../src/storage/database.js";
import { admin } from "../support/admin-client.js";
import { createUser, patchGroup, patchUser } from "../support/licences.js";
import { adminGet, insertEntry, loggedTenant, type LoggedTenant } from "../support/provisioning-log.js";

const DAY = 86_400_000;

interface Item {
  kind: "event" | "request";
  at: string;
  type?: string;
  requestId: string;
  status?: number;
  method?: string;
  resourceId?: string | null;
  data?: Record<string, unknown>;
}
interface Page {
  items: Item[];
  nextCursor: string | null;
}

afterEach(() => {
  vi.useRealTimers();
});

/** Each step one second after the last: the order of what happened is unambiguous. */
function clock(): (step: number) => void {
  const start = Date.now();
  vi.useFakeTimers({ toFake: ["Date"] });
  return (step) => vi.setSystemTime(start + step * 1000);
}

const label = (i: Item) => (i.kind === "event" ? `event ${i.type} ${i.requestId}` : `request ${i.method} ${i.status} ${i.requestId}`);

async function history(t: LoggedTenant, userId: string, query = ""): Promise<Page> {
  return adminGet<Page>(`/admin/tenants/${t.id}/users/${userId}/history${query}`);
}

describe("a user's history", () => {
  it("merges the user's events and requests newest first, licence events from group requests included", async () => {
    const t = await loggedTenant();
    const at = clock();
    at(1);
    const created = await t.request("POST", "/Users", { userName: "pat@contoso.com", active: true });
    const u = created.body.id as string;
    at(2);
    const renamed = await patchUser(t, u, [{ op: "replace", path: "displayName", value: "Pat" }]);
    at(3);
    const refused = await patchUser(t, u, [{ op: "replace", path: "noSuchAttribute", value: 1 }]);
    expect(refused.status).toBe(400);
    at(4);
    const otherPost = await t.request("POST", "/Users", { userName: "quinn@contoso.com", active: true });
    const other = otherPost.body.id as string;
    at(5);
    const groupPost = await t.request("POST", "/Groups", {
      schemas: ["urn:ietf:params:scim:schemas:core:2.0:Group"],
      displayName: "Pro",
      members: [{ value: u }, { value: other }],
      "urn:ietf:params:scim:schemas:extension:klaxoon:2.0:Group": { license: "True" },
    });
    expect(groupPost.status).toBe(201);
    const g = groupPost.body.id as string;
    at(6);
    const removed = await patchGroup(t, g, [{ op: "remove", path: "members", value: [{ value: u }] }]);
    expect(removed.status).toBe(204);
    at(7);
    const read = await t.request("GET", `/Users/${u}`);
    at(8);
    const rid = (r: { headers: Headers }) => r.headers.get("x-request-id");

    const expected = [
      `request GET 200 ${rid(read)}`,
      `event licence.downgraded ${rid(removed)}`,
      `event licence.activated ${rid(groupPost)}`,
      `request PATCH 400 ${rid(refused)}`,
      `event user.updated ${rid(renamed)}`,
      `request PATCH 200 ${rid(renamed)}`,
      `event user.created ${rid(created)}`,
      `request POST 201 ${rid(created)}`,
    ];
    const whole = await history(t, u);
    expect(whole.items.map(label)).toEqual(expected);
    expect(whole.nextCursor).toBeNull();
    expect(whole.items.map((i) => Date.parse(i.at))).toEqual([...whole.items.map((i) => Date.parse(i.at))].sort((a, b) => b - a));
    // The downgrade says until when the licence still counts.
    expect(whole.items[1]?.data).toMatchObject({ userId: u, status: "downgraded" });
    expect(whole.items[1]?.data?.["expiresAt"]).toMatch(/Z$/);
    // Nothing of the other user, and no membership event.
    expect(whole.items.some((i) => i.type?.startsWith("group."))).toBe(false);
    expect((await history(t, other)).items.map(label)).toEqual([
      `event licence.activated ${rid(groupPost)}`,
      `event user.created ${rid(otherPost)}`,
      `request POST 201 ${rid(otherPost)}`,
    ]);

    // Pages of 3: the same items, each once, in the same order.
    const paged: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const p: Page = await history(t, u, `?limit=3${cursor ? `&after=${cursor}` : ""}`);
      paged.push(...p.items.map(label));
      cursor = p.nextCursor;
      pages += 1;
    } while (cursor !== null && pages < 10);
    expect(paged).toEqual(expected);
    expect(pages).toBe(3);
  });

  it("outlives the user, and shows the deletion", async () => {
    const t = await loggedTenant();
    const at = clock();
    at(1);
    const u = await createUser(t, "rae@contoso.com");
    at(2);
    const del = await t.request("DELETE", `/Users/${u}`);
    expect(del.status).toBe(204);
    at(3);
    const items = (await history(t, u)).items;
    expect(items.map((i) => (i.kind === "event" ? i.type : `${i.method} ${i.status}`))).toEqual(["user.deleted", "DELETE 204", "user.created", "POST 201"]);
  });

  it("reads a bounded number of rows and only the tenant's own", async () => {
    const [a, b] = [await loggedTenant(), await loggedTenant()];
    const u = await createUser(a, "sam@contoso.com");
    for (let i = 0; i < 5; i++) expect((await a.request("GET", `/Users/${u}`)).status).toBe(200);
    // Another tenant's entry naming the same id, and an entry of the tenant for another resource.
    await insertEntry(b.id, { at: Date.now(), resourceId: u, status: 500 });
    await insertEntry(a.id, { at: Date.now(), resourceId: "someone-else" });
    const res = await admin("GET", `/admin/tenants/${a.id}/users/${u}/history`);
    expect(res.status).toBe(200);
    const page = await res.json<Page>();
    expect(page.items.filter((i) => i.kind === "request")).toHaveLength(6);
    expect(page.items.every((i) => i.kind === "event" || i.status !== 500)).toBe(true);
    // The user is hours old (its id is a UUIDv7): a few hour seeks, its events and requests, the tenant row.
    expect(Number(res.headers.get("x-d1-rows-read"))).toBeLessThanOrEqual(30);
    expect((await adminGet<Page>(`/admin/tenants/${b.id}/users/${u}/history`)).items.map((i) => i.status)).toEqual([500]);
  });

  it("pages through a retention longer than one page's window, every item once", async () => {
    const t = await loggedTenant();
    const now = Date.now();
    const resource = "not-a-uuid-user";
    const ids = [
      await insertEntry(t.id, { at: now - 1_000, resourceId: resource }),
      await insertEntry(t.id, { at: now - 10 * DAY, resourceId: resource }),
      await insertEntry(t.id, { at: now - 40 * DAY, resourceId: resource }),
      await insertEntry(t.id, { at: now - 59 * DAY, resourceId: resource }),
    ];
    await insertEntry(t.id, { at: now - 70 * DAY, resourceId: resource }); // older than retention: not shown
    const rd = dbFor(env.DB);
    const seen: string[] = [];
    let after: string | undefined;
    for (let pages = 0; pages < 10; pages++) {
      const p = await readUserHistory(rd, { tenantId: t.id, userId: resource, now, retentionDays: 60, limit: 10, ...(after ? { after } : {}) });
      seen.push(...p.items.map((i) => i.requestId));
      if (p.nextCursor === null) break;
      after = p.nextCursor;
    }
    expect(seen).toEqual(ids);
    // Two windows of 33 days: each page seeks at most that many hours.
    expect(rd.meter.rowsRead).toBeLessThanOrEqual(2 * 33 * 24 + 10);
  });

  it("answers 400 for a bad cursor and 404 for an unknown tenant", async () => {
    const t = await loggedTenant();
    expect((await admin("GET", `/admin/tenants/${t.id}/users/x/history?after=${btoa("v1:r:1:x")}`)).status).toBe(400);
    expect((await admin("GET", `/admin/tenants/${t.id}/users/x/history?limit=abc`)).status).toBe(400);
    expect((await admin("GET", `/admin/tenants/nobody-${crypto.randomUUID().slice(0, 6)}/users/x/history`)).status).toBe(404);
    expect((await history(t, "0190aaaa-0000-7000-8000-000000000000")).items).toEqual([]);
  });
});

