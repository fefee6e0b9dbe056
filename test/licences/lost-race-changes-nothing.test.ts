/**
 * A write that loses its optimistic-concurrency race changes nothing: no
 * licence transition, no member delta, no counter, no meta, no event. The race is
 * built, not hoped for (local D1 runs one write at a time): writer A reads,
 * writer B commits, then A writes with the row it read.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { dbFor } from "../../src/storage/database.js";
import { getGroup, writeGroup } from "../../src/storage/groups.js";
import { getUser, replaceUser } from "../../src/storage/users.js";
import { groupKeys, userKeys, type GroupDoc, type UserDoc } from "../../src/scim/resources/index.js";
import { vendorConfig } from "../../src/env.js";
import { createGroup, createUser, expectLicenceInvariant, LICENCE_EXT, licenceOf, patchGroup, patchUser } from "../support/licences.js";
import { memberIdsOf, newScimTenant } from "../support/scim-tenant.js";

async function snapshot(tenantId: string) {
  const tables = await env.DB.batch([
    env.DB.prepare(`SELECT id, etag, last_modified, active, doc FROM users WHERE tenant_id = ?1 ORDER BY id`).bind(tenantId),
    env.DB.prepare(`SELECT id, etag, last_modified, licensing, doc FROM groups WHERE tenant_id = ?1 ORDER BY id`).bind(tenantId),
    env.DB.prepare(`SELECT group_id, user_id FROM memberships WHERE tenant_id = ?1 ORDER BY group_id, user_id`).bind(tenantId),
    env.DB.prepare(`SELECT user_id, status, downgraded_at, expires_at FROM licences WHERE tenant_id = ?1 ORDER BY user_id`).bind(tenantId),
    env.DB.prepare(`SELECT * FROM tenant_stats WHERE tenant_id = ?1`).bind(tenantId),
    // No event without its change (the change feed).
    env.DB.prepare(`SELECT seq, type FROM events WHERE tenant_id = ?1 ORDER BY seq`).bind(tenantId),
  ]);
  return tables.map((t) => t.results);
}

describe("a user rewrite that lost its race", () => {
  it("does not downgrade the licence when the winner kept the user active", async () => {
    const t = await newScimTenant();
    const id = await createUser(t, "ann@contoso.com");
    await createGroup(t, "Pro", "True", [id]);
    const rd = dbFor(env.DB);
    // Writer A reads the user …
    const stale = (await getUser(rd, t.id, id))!;
    // … writer B renames it (a new etag) …
    expect((await patchUser(t, id, [{ op: "replace", path: "displayName", value: "Ann B." }])).status).toBe(200);
    const before = await snapshot(t.id);
    // … and A, from its stale read, disables the user.
    const doc: UserDoc = { ...(JSON.parse(stale.doc) as UserDoc), active: false };
    const outcome = await replaceUser(rd, stale, doc, userKeys(doc), { tenantId: t.id, now: Date.now(), requestId: "test" }, ["active"]);
    expect(outcome.kind).toBe("lostRace");
    expect(await snapshot(t.id)).toEqual(before);
    expect((await licenceOf(t.id, id))?.status).toBe("active");
    await expectLicenceInvariant(t.id);
  });

  it("does not grant when a stale reactivation loses", async () => {
    const t = await newScimTenant();
    const id = await createUser(t, "bo@contoso.com", { active: false });
    await createGroup(t, "Pro", "True", [id]);
    const rd = dbFor(env.DB);
    const stale = (await getUser(rd, t.id, id))!;
    expect((await patchUser(t, id, [{ op: "replace", path: "title", value: "CFO" }])).status).toBe(200);
    const before = await snapshot(t.id);
    const doc: UserDoc = { ...(JSON.parse(stale.doc) as UserDoc), active: true };
    expect((await replaceUser(rd, stale, doc, userKeys(doc), { tenantId: t.id, now: Date.now(), requestId: "test" }, ["active"])).kind).toBe("lostRace");
    expect(await snapshot(t.id)).toEqual(before);
    expect(await licenceOf(t.id, id)).toBeNull();
  });
});

describe("a group write that lost its race", () => {
  it("applies neither its member delta nor its licence flip", async () => {
    const t = await newScimTenant();
    const a = await createUser(t, "a@contoso.com");
    const b = await createUser(t, "b@contoso.com");
    const g = await createGroup(t, "Sales", "False", [a]);
    const rd = dbFor(env.DB);
    const config = vendorConfig(env);
    const stale = (await getGroup(rd, t.id, g))!;
    // Writer B renames the group between A's read and A's write.
    expect((await patchGroup(t, g, [{ op: "replace", path: "displayName", value: "Sales EMEA" }])).status).toBe(204);
    const before = await snapshot(t.id);
    // A: licence on, and add b — from the stale row.
    const doc: GroupDoc = { ...(JSON.parse(stale.doc) as GroupDoc), [LICENCE_EXT]: { license: "True" } };
    const keys = groupKeys(doc, config, stale.licensing);
    const outcome = await writeGroup(
      rd,
      { tenantId: t.id, now: Date.now(), nonce: crypto.randomUUID(), requestId: "test" },
      g,
      { current: stale, doc, keys: { ...keys, licensing: keys.licensing ?? stale.licensing }, changedAttributes: ["urn:ietf:params:scim:schemas:extension:klaxoon:2.0:Group:license"] },
      { replaceAll: false, add: [b], remove: [] },
    );
    expect(outcome.kind).toBe("lostRace");
    expect(await snapshot(t.id)).toEqual(before);
    expect(await memberIdsOf(t, g)).toEqual([a]);
    expect(await licenceOf(t.id, a)).toBeNull();
    await expectLicenceInvariant(t.id);
  });
});
