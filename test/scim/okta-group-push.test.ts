/** Okta group push: create, rename with the read-only id in the value, deltas, full push, delete. */
import { describe, expect, it } from "vitest";
import { memberIdsOf, newScimTenant } from "../support/scim-tenant.js";
import { expectExactCounters } from "../support/tenant-counters.js";

const GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

describe("Okta group push", () => {
  it("create empty, rename (value carries id), delta remove+add, full replace push, delete", async () => {
    const t = await newScimTenant();
    const ids: string[] = [];
    for (const n of ["a", "b", "c", "d"]) ids.push((await t.request("POST", "/Users", { userName: `${n}@okta.local`, active: true })).body.id);
    const [a, b, c, d] = ids as [string, string, string, string];

    const created = await t.request("POST", "/Groups", { schemas: [GROUP], displayName: "Test SCIMv2", members: [] });
    expect(created.status).toBe(201);
    const g = created.body.id as string;
    expect(created.body.members).toEqual([]);

    // Rename: path-less replace whose value carries the read-only id — ignored, not a 400.
    const rename = await t.request("PATCH", `/Groups/${g}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: "replace", value: { id: g, displayName: "Test SCIMv2 renamed" } }],
    });
    expect([200, 204]).toContain(rename.status);
    const afterRename = await t.request("GET", `/Groups/${g}`);
    expect(afterRename.body.id).toBe(g);
    expect(afterRename.body.displayName).toBe("Test SCIMv2 renamed");

    // Re-sent unchanged on every membership change: harmless.
    const same = await t.request("PATCH", `/Groups/${g}`, { schemas: [PATCH_OP], Operations: [{ op: "replace", value: { id: g, displayName: "Test SCIMv2 renamed" } }] });
    expect([200, 204]).toContain(same.status);

    const add = await t.request("PATCH", `/Groups/${g}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: "add", path: "members", value: [{ value: a, display: "a@okta.local" }, { value: b, display: "b@okta.local" }] }],
    });
    expect([200, 204]).toContain(add.status);
    expect(await memberIdsOf(t, g)).toEqual([a, b].sort());

    // The membership delta: remove by filter + add in one request.
    const delta = await t.request("PATCH", `/Groups/${g}`, {
      schemas: [PATCH_OP],
      Operations: [
        { op: "remove", path: `members[value eq "${a}"]` },
        { op: "add", path: "members", value: [{ value: c, display: "c@okta.local" }] },
      ],
    });
    expect([200, 204]).toContain(delta.status);
    expect(await memberIdsOf(t, g)).toEqual([b, c].sort());
    expect((await expectExactCounters(t.id)).memberships).toBe(2);

    // Rename together with the delta.
    const both = await t.request("PATCH", `/Groups/${g}`, {
      schemas: [PATCH_OP],
      Operations: [
        { op: "replace", value: { id: g, displayName: "Pushed" } },
        { op: "remove", path: `members[value eq "${b}"]` },
        { op: "add", path: "members", value: [{ value: d, display: "d@okta.local" }] },
      ],
    });
    expect([200, 204]).toContain(both.status);
    expect((await t.request("GET", `/Groups/${g}`)).body.displayName).toBe("Pushed");
    expect(await memberIdsOf(t, g)).toEqual([c, d].sort());

    // Full membership push.
    const push = await t.request("PATCH", `/Groups/${g}`, { Operations: [{ op: "replace", path: "members", value: [{ value: a }, { value: d }] }] });
    expect([200, 204]).toContain(push.status);
    expect(await memberIdsOf(t, g)).toEqual([a, d].sort());
    expect((await expectExactCounters(t.id)).memberships).toBe(2);

    // AIW apps send PUT instead.
    const put = await t.request("PUT", `/Groups/${g}`, { schemas: [GROUP], id: g, displayName: "Pushed", members: [{ value: b }, { value: c }, { value: d }] });
    expect(put.status).toBe(200);
    expect(await memberIdsOf(t, g)).toEqual([b, c, d].sort());
    expect((await expectExactCounters(t.id)).memberships).toBe(3);

    expect((await t.request("DELETE", `/Groups/${g}`)).status).toBe(204);
    expect(await expectExactCounters(t.id)).toMatchObject({ groups: 0, memberships: 0 });
  });
});
