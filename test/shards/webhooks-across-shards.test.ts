/**
 * Webhooks with three data shards: endpoints live in the control database,
 * events on the shards. A tenant's endpoint follows its tenant's sequence on
 * the shard the tenant lives on (and on the next one after a move); an
 * all-tenants endpoint keeps a position per shard, gets every shard's events
 * once and in that shard's order, never a move's copy, each under the
 * event's own id; the listing's backlog is read on the shards. As in
 * test/webhooks/, the run is handed a receiver function in place of fetch.
 */
import { env } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { afterEach, describe, expect, it } from "vitest";
import { deliverWebhooks, type DeliveryOptions } from "../../src/webhooks/delivery.js";
import { admin } from "../support/admin-client.js";
import { createUser, patchUser } from "../support/licences.js";
import { newScimTenant, type ScimTenant } from "../support/scim-tenant.js";
import { eventIdsSince, lastSeqs, SHARDS, shard, shardOfId } from "./shard-events.js";

const T0 = Date.parse("2026-12-01T12:00:00Z");
const MINUTE = 60_000;

interface Delivery {
  url: string;
  headers: Record<string, string>;
  body: string;
  event: { id: string; tenantId: string; sequence: number; type: string };
}

/** A receiver: records every request, answers from `answers` in turn (then 200). */
function receiver(answers: number[] = []) {
  const received: Delivery[] = [];
  const send: NonNullable<DeliveryOptions["send"]> = async (url, init) => {
    const body = init.body as string;
    received.push({ url, headers: Object.fromEntries(new Headers(init.headers).entries()), body, event: JSON.parse(body) });
    return new Response("ok", { status: answers.shift() ?? 200 });
  };
  return { received, send };
}

async function register(body: Record<string, unknown>): Promise<{ id: string; secret: string }> {
  const res = await admin("POST", "/admin/webhooks", { url: "https://receiver.example.com/hook", ...body });
  expect(res.status, await res.clone().text()).toBe(201);
  return res.json();
}

async function stateOf(id: string): Promise<{ backlog: number; delivered: number; consecutiveFailures: number; lastFailure: unknown }> {
  const res = await admin("GET", `/admin/webhooks/${id}`);
  expect(res.status).toBe(200);
  return (await res.json<{ delivery: { backlog: number; delivered: number; consecutiveFailures: number; lastFailure: unknown } }>()).delivery;
}

async function stored(id: string): Promise<{ cursor_position: number; shard_cursors: string }> {
  return (await env.DB.prepare(`SELECT cursor_position, shard_cursors FROM webhook_endpoints WHERE id = ?1`).bind(id).first())!;
}


async function rename(t: ScimTenant, id: string, n: number, tag: string): Promise<void> {
  for (let i = 0; i < n; i++) expect((await patchUser(t, id, [{ op: "replace", path: "displayName", value: `${tag} ${i}` }])).status).toBe(200);
}

/** A copy a tenant move leaves on the shard it went to: the tenant's next sequence, `origin` where it was written. */
async function insertCopy(on: string, tenantId: string, origin: string): Promise<void> {
  await shard(on)
    .prepare(
      `INSERT INTO events (seq, tenant_id, tenant_seq, occurred_at, type, resource_id, external_id, data, request_id, origin)
       VALUES ((SELECT COALESCE(max(seq), 0) FROM events) + 1, ?1, COALESCE((SELECT max(tenant_seq) FROM events WHERE tenant_id = ?1), 0) + 1,
               ?2, 'user.updated', 'copied', NULL, '{}', 'copied', ?3)`,
    )
    .bind(tenantId, Date.now(), origin)
    .run();
}

afterEach(async () => {
  const { webhooks } = await (await admin("GET", "/admin/webhooks")).json<{ webhooks: Array<{ id: string }> }>();
  for (const w of webhooks) await admin("DELETE", `/admin/webhooks/${w.id}`);
});

describe("a tenant's endpoint", () => {
  it("gets the events of a tenant on DB_2 written after it was registered, in sequence, the feed's own event and id, signed", async () => {
    const t = await newScimTenant({ shard: "DB_2" });
    const before = await createUser(t, "before@example.com");
    const w = await register({ tenantId: t.id });
    // The endpoint starts at the tenant's end of feed on DB_2, not on the control database.
    expect(await stored(w.id)).toMatchObject({ cursor_position: 1, shard_cursors: "{}" });
    await rename(t, before, 2, "after");
    await createUser(t, "second@example.com");
    expect(await stateOf(w.id)).toMatchObject({ backlog: 3, delivered: 0 });

    const r = receiver();
    expect(await deliverWebhooks(env, T0, { send: r.send })).toMatchObject({ endpoints: 1, delivered: 3, failed: 0, complete: true });
    const feed = await (await admin("GET", `/admin/tenants/${t.id}/events`)).json<{ events: Array<{ id: string }> }>();
    expect(r.received.map((d) => JSON.parse(d.body))).toEqual(feed.events.slice(1));
    expect(r.received.map((d) => d.event.sequence)).toEqual([2, 3, 4]);
    const hook = new Webhook(w.secret);
    for (const d of r.received) {
      expect(d.event.id).toMatch(/^evt_DB_2_\d+$/);
      expect(d.headers["webhook-id"]).toBe(d.event.id);
      expect(hook.verify(d.body, d.headers)).toEqual(d.event);
    }
    expect(await stateOf(w.id)).toMatchObject({ backlog: 0, delivered: 3 });
    // Nothing new: the next run claims nothing.
    expect(await deliverWebhooks(env, T0 + MINUTE, { send: receiver().send })).toMatchObject({ endpoints: 0 });
  });

  it("never gets another shard's tenant's events, even with the same sequence numbers", async () => {
    const a = await newScimTenant({ shard: "DB_2" });
    const b = await newScimTenant({ shard: "DB_3" });
    const w = await register({ tenantId: a.id });
    await createUser(b, "b@example.com");
    await createUser(a, "a@example.com");
    await createUser(b, "b2@example.com");
    const r = receiver();
    await deliverWebhooks(env, T0, { send: r.send });
    expect(r.received.map((d) => [d.event.tenantId, d.event.sequence])).toEqual([[a.id, 1]]);
    expect(await stateOf(w.id)).toMatchObject({ backlog: 0, delivered: 1 });
  });

  it("follows its tenant to the shard it moved to: continues after the last sequence it got, the copies never sent again", async () => {
    const t = await newScimTenant({ shard: "DB_2" });
    const w = await register({ tenantId: t.id });
    const u = await createUser(t, "moving@example.com");
    await rename(t, u, 1, "before the move");
    const r = receiver();
    await deliverWebhooks(env, T0, { send: r.send });
    expect(r.received.map((d) => d.event.sequence)).toEqual([1, 2]);

    // The move, as its switch leaves things: the history copied to DB_3 under its origins, the
    // control row pointing there, and the tenant's next event written on DB_3.
    const { results } = await shard("DB_2").prepare(`SELECT seq FROM events WHERE tenant_id = ?1 ORDER BY tenant_seq`).bind(t.id).all<{ seq: number }>();
    const db3 = shard("DB_3");
    await db3.batch([
      db3.prepare(`INSERT INTO tenants (id, name, created_at, updated_at, shard) SELECT ?1, 'Moved', 0, 0, 'DB_3'`).bind(t.id),
      db3.prepare(`INSERT INTO tenant_stats (tenant_id) VALUES (?1)`).bind(t.id),
    ]);
    for (const { seq } of results) await insertCopy("DB_3", t.id, `DB_2:${seq}`);
    await env.DB.prepare(`UPDATE tenants SET shard = 'DB_3' WHERE id = ?1`).bind(t.id).run();
    await db3
      .prepare(
        `INSERT INTO events (seq, tenant_id, tenant_seq, occurred_at, type, resource_id, external_id, data, request_id)
         VALUES ((SELECT max(seq) FROM events) + 1, ?1, 3, ?2, 'user.deactivated', ?3, NULL, '{}', 'after-the-move')`,
      )
      .bind(t.id, Date.now(), u)
      .run();
    expect(await stateOf(w.id)).toMatchObject({ backlog: 1 });

    await deliverWebhooks(env, T0 + MINUTE, { send: r.send });
    expect(r.received.map((d) => [d.event.sequence, d.event.type])).toEqual([
      [1, "user.created"],
      [2, "user.updated"],
      [3, "user.deactivated"],
    ]);
    expect(r.received[2]!.event.id).toMatch(/^evt_DB_3_\d+$/);
    expect(await stateOf(w.id)).toMatchObject({ backlog: 0, delivered: 3 });
  });
});

describe("an all-tenants endpoint over DB, DB_2 and DB_3", () => {
  it("gets every shard's events once, each shard's in its order, across runs bounded to a few sends; never a move's copy", async () => {
    const tenants: Array<{ t: ScimTenant; u: string }> = [];
    for (const name of SHARDS) {
      const t = await newScimTenant({ shard: name });
      tenants.push({ t, u: await createUser(t, `first@${name.toLowerCase()}.example.com`) });
    }
    const since = await lastSeqs();
    const w = await register({});
    // It starts at every shard's end of feed: the users created before are not sent.
    expect(JSON.parse((await stored(w.id)).shard_cursors)).toEqual({ DB_2: since.get("DB_2"), DB_3: since.get("DB_3") });
    expect((await stored(w.id)).cursor_position).toBe(since.get("DB"));

    const r = receiver();
    for (let round = 0; round < 4; round++) {
      // Writes on every shard between runs, and a copy left on DB_3 by a move (delivered from where it was written).
      for (const { t, u } of tenants) await rename(t, u, 2, `round ${round}`);
      await insertCopy("DB_3", tenants[2]!.t.id, `DB_2:${100 + round}`);
      await deliverWebhooks(env, T0 + round * MINUTE, { send: r.send, eventsPerEndpoint: 4 });
    }
    for (let round = 4; round < 12; round++) await deliverWebhooks(env, T0 + round * MINUTE, { send: r.send, eventsPerEndpoint: 4 });

    const expected = await eventIdsSince(since);
    const ids = r.received.map((d) => d.event.id);
    expect(ids).toHaveLength(24);
    expect(new Set(ids).size).toBe(24);
    for (const name of SHARDS) expect(ids.filter((id) => shardOfId(id) === name), name).toEqual(expected.get(name));
    expect(r.received.every((d) => d.headers["webhook-id"] === d.event.id)).toBe(true);
    expect(r.received.some((d) => d.event.type === "user.updated" && d.body.includes('"requestId":"copied"'))).toBe(false);

    // Its cursor: DB's position in cursor_position, the others in shard_cursors, each past its last event (DB_3: past the copies too).
    const ends = await lastSeqs();
    expect(await stored(w.id)).toMatchObject({ cursor_position: ends.get("DB") });
    expect(JSON.parse((await stored(w.id)).shard_cursors)).toEqual({ DB_2: ends.get("DB_2"), DB_3: ends.get("DB_3") });
    expect(await stateOf(w.id)).toMatchObject({ backlog: 0, delivered: 24 });
    expect(await deliverWebhooks(env, T0 + 20 * MINUTE, { send: r.send })).toMatchObject({ endpoints: 0 });
  });

  it("a failed send stops it where it was on every shard; the retry sends the same event and nothing is passed or repeated", async () => {
    const [a, b] = [await newScimTenant({ shard: "DB_2" }), await newScimTenant({ shard: "DB_3" })];
    const since = await lastSeqs();
    const w = await register({});
    await createUser(a, "a1@example.com");
    await createUser(b, "b1@example.com");
    await createUser(a, "a2@example.com");
    const r = receiver([200, 500]);
    expect(await deliverWebhooks(env, T0, { send: r.send })).toMatchObject({ delivered: 1, failed: 1 });
    const failed = r.received[1]!.event.id;
    expect(await stateOf(w.id)).toMatchObject({ consecutiveFailures: 1, delivered: 1, backlog: 2 });
    expect(await deliverWebhooks(env, T0 + MINUTE, { send: r.send })).toMatchObject({ delivered: 2, failed: 0 });
    expect(r.received[2]!.event.id).toBe(failed);
    const acknowledged = [r.received[0]!, ...r.received.slice(2)].map((d) => d.event.id);
    const expected = await eventIdsSince(since);
    expect([...acknowledged].sort()).toEqual([...expected.values()].flat().sort());
    for (const name of SHARDS) expect(acknowledged.filter((id) => shardOfId(id) === name)).toEqual(expected.get(name));
  });

  it("a shard added to DATA_SHARDS after registration is followed from its beginning", async () => {
    const t = await newScimTenant({ shard: "DB_3" });
    await createUser(t, "already@example.com");
    // Registered while the deployment had DB and DB_2 only.
    const res = await admin("POST", "/admin/webhooks", { url: "https://receiver.example.com/hook" });
    expect(res.status).toBe(201);
    const w = await res.json<{ id: string }>();
    await env.DB.prepare(`UPDATE webhook_endpoints SET shard_cursors = json_remove(shard_cursors, '$.DB_3') WHERE id = ?1`).bind(w.id).run();
    const r = receiver();
    await deliverWebhooks(env, T0, { send: r.send });
    const onThree = (await shard("DB_3").prepare(`SELECT count(*) AS n FROM events WHERE origin IS NULL`).first<{ n: number }>())!.n;
    expect(r.received.filter((d) => shardOfId(d.event.id) === "DB_3")).toHaveLength(onThree);
  });
});
