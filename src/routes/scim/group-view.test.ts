/**
 * A streamed group (GET /Groups/{id} and the answers of POST / PUT) never
 * ends as a complete-looking 200 when reading its members fails after the
 * first byte: the body is aborted. The members come from an AsyncIterator,
 * so the failure is an iterator that throws — no database involved.
 */
import { Hono } from "hono";
import { requestId } from "hono/request-id";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { AppEnv } from "../../context.js";
import { DEFAULT_VENDOR_CONFIG } from "../../env.js";
import type { GroupMember, GroupRow } from "../../provisioning/groups.js";
import { resourceDefinitions } from "../../scim/schema/index.js";
import { streamGroup } from "./group-view.js";

const def = resourceDefinitions(DEFAULT_VENDOR_CONFIG).group;

const row: GroupRow = {
  tenantId: "acme",
  id: "g1",
  displayName: "Sales",
  displayNameKey: "sales",
  externalId: null,
  licensing: true,
  doc: JSON.stringify({ displayName: "Sales" }),
  memberDelta: 0,
  createdAt: 0,
  lastModified: 0,
  etag: "e1",
};

const member = (i: number): GroupMember => ({ id: `u${i}`, display: `User ${i}` });

/** Pages of members, then (when `failAt` is given) a throw in place of that page. */
async function* pages(count: number, failAt?: number): AsyncGenerator<GroupMember[]> {
  for (let p = 0; p < count; p++) {
    if (p === failAt) throw new Error("D1_ERROR: Failed query: SELECT m.user_id FROM memberships WHERE tenant_id = 'acme' params: acme,g1");
    yield [member(2 * p), member(2 * p + 1)];
  }
}

function app(iterator: () => AsyncIterator<GroupMember[]>): Hono<AppEnv> {
  const a = new Hono<AppEnv>();
  a.use("*", requestId());
  a.get("/tenants/:tenantId/scim/v2/Groups/:id", (c) => {
    c.set("tenantId", "acme");
    return streamGroup(c, row, iterator(), def, {});
  });
  return a;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("streamGroup", () => {
  it("streams every page and closes the JSON when the pages end", async () => {
    const res = await app(() => pages(3)).request("http://x/tenants/acme/scim/v2/Groups/g1");
    expect(res.status).toBe(200);
    const body = (await res.json()) as { displayName: string; members: Array<{ value: string }> };
    expect(body.displayName).toBe("Sales");
    expect(body.members.map((m) => m.value)).toEqual(["u0", "u1", "u2", "u3", "u4", "u5"]);
  });

  it("aborts the body when a page fails after the first byte: the client never reads a complete 200", async () => {
    const errors: string[] = [];
    vi.spyOn(console, "error").mockImplementation((line: unknown) => void errors.push(String(line)));
    const res = await app(() => pages(3, 1)).request("http://x/tenants/acme/scim/v2/Groups/g1");
    // The status went out before the failure…
    expect(res.status).toBe(200);
    // …so the body must fail, not end: reading it rejects.
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let received = "";
    let failure: unknown;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        received += decoder.decode(value, { stream: true });
      }
    } catch (err) {
      failure = err;
    }
    expect(failure).toBeDefined();
    // What arrived is the head and the first page, never the closing "]}".
    expect(received).toContain('"members":[');
    expect(received).toContain('"value":"u1"');
    expect(received.endsWith("]}")).toBe(false);
    expect(() => JSON.parse(received)).toThrow();
    // One log line, at level error, without the SQL or its parameters.
    expect(errors).toHaveLength(1);
    const line = JSON.parse(errors[0]!) as Record<string, unknown>;
    expect(line).toMatchObject({ level: "error", type: "group-stream-aborted", groupId: "g1" });
    expect(errors[0]).not.toContain("SELECT");
    expect(errors[0]).not.toContain("params: acme");
  });

  it("stops reading pages when the client goes away", async () => {
    let read = 0;
    let returned = false;
    const iterator: AsyncIterator<GroupMember[]> = {
      next: async () => ({ done: false, value: [member(read++)] }),
      return: async () => {
        returned = true;
        return { done: true, value: undefined };
      },
    };
    const res = await app(() => iterator).request("http://x/tenants/acme/scim/v2/Groups/g1");
    const reader = res.body!.getReader();
    await reader.read();
    await reader.read();
    await reader.cancel();
    expect(returned).toBe(true);
    const before = read;
    await Promise.resolve();
    expect(read).toBe(before);
  });
});
