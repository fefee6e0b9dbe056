/**
 * The delivery run against the real local D1 (docs/webhooks.md): the feed
 * as outbox, order, signatures, the back-off against the run's scheduled
 * time, type and tenant filters, the per-run bound, concurrent runs,
 * retention, a changed WEBHOOK_SECRETS_KEY, and the cron dispatch.
 *
 * Inside workerd there is no HTTP server to receive, so the run is handed a
 * receiver function in place of fetch (`send`); the e2e project
 * (test/e2e/webhooks.test.ts) does the same over real HTTP.
 */
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { afterEach, describe, expect, it } from "vitest";
import worker from "../../src/index.js";
import { pruneEvents } from "../../src/feed/retention.js";
import { deliverWebhooks, WEBHOOK_CRON, type DeliveryOptions } from "../../src/webhooks/delivery.js";
import { admin } from "../support/admin-client.js";
import { createUser, patchUser } from "../support/licences.js";
import { newScimTenant, type ScimTenant } from "../support/scim-tenant.js";

interface Delivery {
  url: string;
  headers: Record<string, string>;
  body: string;
  event: { id: string; tenantId: string; sequence: number; type: string; resourceId: string };
}

interface Endpoint {
  id: string;
  secret: string;
}

interface State {
  state: string;
  backlog: number;
  delivered: number;
  lastSuccessAt: string | null;
  lastFailure: { at: string; status: number | null; error: string; eventId: string | null } | null;
  consecutiveFailures: number;
  nextAttemptAt: string | null;
  expiredUndelivered: number;
}

/** A receiver: records every request, answers from `answers` in turn (then 200). */
function receiver(answers: Array<number | Response> = []) {
  const received: Delivery[] = [];
  const send: NonNullable<DeliveryOptions["send"]> = async (url, init) => {
    const headers = Object.fromEntries(new Headers(init.headers).entries());
    const body = init.body as string;
    received.push({ url, headers, body, event: JSON.parse(body) });
    const answer = answers.shift() ?? 200;
    return typeof answer === "number" ? new Response(answer === 204 ? null : "ok", { status: answer }) : answer;
  };
  return { received, send };
}

async function register(body: Record<string, unknown>): Promise<Endpoint> {
  const res = await admin("POST", "/admin/webhooks", { url: "https://receiver.example.com/hook", ...body });
  expect(res.status, await res.clone().text()).toBe(201);
  return res.json<Endpoint>();
}

async function stateOf(id: string): Promise<State> {
  const res = await admin("GET", `/admin/webhooks/${id}`);
  expect(res.status).toBe(200);
  return (await res.json<{ delivery: State }>()).delivery;
}

async function feedIds(tenantId: string): Promise<string[]> {
  const res = await admin("GET", `/admin/tenants/${tenantId}/events?limit=1000`);
  return (await res.json<{ events: Array<{ id: string }> }>()).events.map((e) => e.id);
}

/** Three users' worth of events in tenant t: user.created ×3, then a deactivation. */
async function changes(t: ScimTenant): Promise<void> {
  const a = await createUser(t, "a@contoso.com");
  await createUser(t, "b@contoso.com");
  await createUser(t, "c@contoso.com");
  expect((await patchUser(t, a, [{ op: "replace", path: "active", value: false }])).status).toBe(200);
}

const T0 = Date.parse("2026-12-01T12:00:00Z");
const SECOND = 1000;
const MINUTE = 60 * SECOND;

afterEach(async () => {
  const { webhooks } = await (await admin("GET", "/admin/webhooks")).json<{ webhooks: Array<{ id: string }> }>();
  for (const w of webhooks) await admin("DELETE", `/admin/webhooks/${w.id}`);
});

describe("delivery", () => {
  it("sends every new event of the tenant once, in order, signed, the feed's own event as the body", async () => {
    const t = await newScimTenant();
    await createUser(t, "before@contoso.com");
    const w = await register({ tenantId: t.id });
    await changes(t);
    const r = receiver();
    const report = await deliverWebhooks(env, T0, { send: r.send });
    expect(report).toMatchObject({ endpoints: 1, delivered: 4, failed: 0, complete: true });

    // Only what came after registration, in the tenant's sequence.
    const feed = await (await admin("GET", `/admin/tenants/${t.id}/events`)).json<{ events: unknown[] }>();
    expect(r.received.map((d) => JSON.parse(d.body))).toEqual(feed.events.slice(1));
    expect(r.received.map((d) => d.event.sequence)).toEqual([2, 3, 4, 5]);
    expect(r.received.map((d) => d.event.type)).toEqual(["user.created", "user.created", "user.created", "user.deactivated"]);
    const hook = new Webhook(w.secret);
    for (const d of r.received) {
      expect(d.url).toBe("https://receiver.example.com/hook");
      expect(d.headers["webhook-id"]).toBe(d.event.id);
      expect(d.headers["content-type"]).toBe("application/json");
      expect(d.headers["user-agent"]).toMatch(/^scim-edge-webhooks\//);
      expect(hook.verify(d.body, d.headers)).toEqual(d.event);
    }

    expect(await stateOf(w.id)).toMatchObject({ state: "ok", backlog: 0, delivered: 4, lastFailure: null, consecutiveFailures: 0 });
    // Nothing new: the next run claims nothing and sends nothing.
    const again = receiver();
    expect(await deliverWebhooks(env, T0 + MINUTE, { send: again.send })).toMatchObject({ endpoints: 0, delivered: 0 });
    expect(again.received).toEqual([]);
  });

  it("a failure stops the endpoint in order and retries by the back-off of the run's scheduled time; nothing lost", async () => {
    const t = await newScimTenant();
    const w = await register({ tenantId: t.id });
    await changes(t);
    const ids = await feedIds(t.id);
    // 1st event accepted, 2nd refused three times (500, 503, timeout-like network error), then all accepted.
    const r = receiver([200, 500, 503]);

    expect(await deliverWebhooks(env, T0, { send: r.send })).toMatchObject({ delivered: 1, failed: 1 });
    let s = await stateOf(w.id);
    expect(s).toMatchObject({ state: "retrying", consecutiveFailures: 1, backlog: 3, delivered: 1, nextAttemptAt: new Date(T0 + 30 * SECOND).toISOString() });
    expect(s.lastFailure).toMatchObject({ status: 500, error: "http_status", eventId: ids[1] });
    expect(s.lastSuccessAt).not.toBeNull();

    // Not due yet: nothing is sent.
    expect(await deliverWebhooks(env, T0 + 29 * SECOND, { send: r.send })).toMatchObject({ endpoints: 0 });
    // The next minute's run: the same event again (same webhook-id), refused again → 2 min.
    expect(await deliverWebhooks(env, T0 + MINUTE, { send: r.send })).toMatchObject({ delivered: 0, failed: 1 });
    s = await stateOf(w.id);
    expect(s).toMatchObject({ consecutiveFailures: 2, nextAttemptAt: new Date(T0 + 3 * MINUTE).toISOString(), lastFailure: { status: 503 } });
    expect(await deliverWebhooks(env, T0 + 2 * MINUTE, { send: r.send })).toMatchObject({ endpoints: 0 });
    expect(await deliverWebhooks(env, T0 + 3 * MINUTE, { send: r.send })).toMatchObject({ delivered: 3, failed: 0 });

    expect(r.received.map((d) => d.headers["webhook-id"])).toEqual([ids[0], ids[1], ids[1], ids[1], ids[2], ids[3]]);
    // Every event acknowledged exactly once, in order.
    expect(r.received.slice(3).map((d) => d.event.id)).toEqual(ids.slice(1));
    s = await stateOf(w.id);
    expect(s).toMatchObject({ state: "ok", consecutiveFailures: 0, nextAttemptAt: null, backlog: 0, delivered: 4 });
    // The last failure stays visible after recovery.
    expect(s.lastFailure).toMatchObject({ status: 503, eventId: ids[1] });
  });

  it("the back-off grows ×4 from 30 s and a Retry-After can only lengthen it", async () => {
    const t = await newScimTenant();
    const w = await register({ tenantId: t.id });
    await createUser(t, "x@contoso.com");
    const r = receiver([500, 500, 500, new Response(null, { status: 429, headers: { "retry-after": "3600" } })]);
    let at = T0;
    const waits: number[] = [];
    for (let i = 0; i < 4; i++) {
      await deliverWebhooks(env, at, { send: r.send });
      const next = Date.parse((await stateOf(w.id)).nextAttemptAt!);
      waits.push(next - at);
      at = next;
    }
    expect(waits).toEqual([30 * SECOND, 2 * MINUTE, 8 * MINUTE, 60 * MINUTE]);
    expect((await stateOf(w.id)).lastFailure).toMatchObject({ status: 429, error: "http_status" });
  });

  it("a redirect is a failure and is not followed; a network error has no status", async () => {
    const t = await newScimTenant();
    const w = await register({ tenantId: t.id });
    await createUser(t, "x@contoso.com");
    const r = receiver([new Response(null, { status: 302, headers: { location: "https://elsewhere.example.com/" } })]);
    await deliverWebhooks(env, T0, { send: r.send });
    expect(r.received).toHaveLength(1);
    expect((await stateOf(w.id)).lastFailure).toMatchObject({ status: 302, error: "redirect" });

    await deliverWebhooks(env, T0 + MINUTE, {
      send: async () => {
        throw new TypeError("connection refused");
      },
    });
    expect(await stateOf(w.id)).toMatchObject({ consecutiveFailures: 2, lastFailure: { status: null, error: "network" } });
  });

  it("types: only subscribed events are sent; the cursor passes over the others", async () => {
    const t = await newScimTenant();
    const w = await register({ tenantId: t.id, types: ["user.deactivated"] });
    await changes(t);
    const r = receiver();
    expect(await deliverWebhooks(env, T0, { send: r.send })).toMatchObject({ delivered: 1, skipped: 3 });
    expect(r.received.map((d) => d.event.type)).toEqual(["user.deactivated"]);
    expect(await stateOf(w.id)).toMatchObject({ backlog: 0, delivered: 1 });
  });

  it("a tenant endpoint gets its tenant's events only; an all-tenants one gets every tenant's, in global order", async () => {
    const a = await newScimTenant();
    const b = await newScimTenant();
    const onlyA = await register({ tenantId: a.id, url: "https://a.example.com/" });
    const all = await register({ url: "https://all.example.com/" });
    await createUser(a, "a1@contoso.com");
    await createUser(b, "b1@contoso.com");
    await createUser(a, "a2@contoso.com");
    const r = receiver();
    await deliverWebhooks(env, T0, { send: r.send });
    const to = (url: string) => r.received.filter((d) => d.url === url).map((d) => d.event);
    expect(to("https://a.example.com/").map((e) => e.tenantId)).toEqual([a.id, a.id]);
    expect(to("https://all.example.com/").map((e) => e.tenantId)).toEqual([a.id, b.id, a.id]);
    const globalSeqs = to("https://all.example.com/").map((e) => Number(e.id.slice("evt_".length)));
    expect(globalSeqs).toEqual([...globalSeqs].sort((x, y) => x - y));
    expect((await stateOf(onlyA.id)).delivered).toBe(2);
    expect((await stateOf(all.id)).delivered).toBe(3);
  });

  it("a run is bounded per endpoint; the rest goes next run, in order", async () => {
    const t = await newScimTenant();
    const w = await register({ tenantId: t.id });
    await changes(t);
    const r = receiver();
    expect(await deliverWebhooks(env, T0, { send: r.send, eventsPerEndpoint: 3 })).toMatchObject({ delivered: 3, complete: false });
    expect((await stateOf(w.id)).backlog).toBe(1);
    expect(await deliverWebhooks(env, T0 + MINUTE, { send: r.send, eventsPerEndpoint: 3 })).toMatchObject({ delivered: 1, complete: true });
    expect(r.received.map((d) => d.event.sequence)).toEqual([1, 2, 3, 4]);
  });

  it("a run out of time starts no more sends and leaves the rest for the next run", async () => {
    const t = await newScimTenant();
    await register({ tenantId: t.id });
    await changes(t);
    let now = T0;
    const r = receiver();
    const slow: NonNullable<DeliveryOptions["send"]> = async (url, init) => {
      now += 20 * SECOND; // each answer takes 20 s of wall clock
      return r.send(url, init);
    };
    expect(await deliverWebhooks(env, T0, { send: slow, clock: () => now, budgetMs: 30_000 })).toMatchObject({ delivered: 2, complete: false });
    expect(await deliverWebhooks(env, T0 + MINUTE, { send: r.send })).toMatchObject({ delivered: 2 });
    expect(r.received.map((d) => d.event.sequence)).toEqual([1, 2, 3, 4]);
  });

  it("two overlapping runs never send an event twice: one run holds an endpoint at a time", async () => {
    const t = await newScimTenant();
    const w = await register({ tenantId: t.id });
    await changes(t);
    const r = receiver();
    const reports = await Promise.all([deliverWebhooks(env, T0, { send: r.send }), deliverWebhooks(env, T0, { send: r.send })]);
    expect(reports.map((x) => x.endpoints).sort()).toEqual([0, 1]);
    expect(r.received.map((d) => d.event.sequence)).toEqual([1, 2, 3, 4]);
    expect((await stateOf(w.id)).delivered).toBe(4);
  });

  it("a tenant deleted after registration: its endpoint says so and gets nothing, even if the id is taken again", async () => {
    const t = await newScimTenant();
    const w = await register({ tenantId: t.id });
    await createUser(t, "x@contoso.com");
    expect((await admin("DELETE", `/admin/tenants/${t.id}`)).status).toBe(204);
    const again = await newScimTenant({ id: t.id });
    await createUser(again, "new-owner@contoso.com");
    const r = receiver();
    expect(await deliverWebhooks(env, T0, { send: r.send })).toMatchObject({ endpoints: 0 });
    expect(r.received).toEqual([]);
    expect((await stateOf(w.id)).state).toBe("tenant_deleted");
  });

  it("events retention pruned before delivery are counted as expired; delivery resumes after them", async () => {
    const t = await newScimTenant();
    const w = await register({ tenantId: t.id });
    await changes(t);
    // Everything so far is older than retention at a time far ahead.
    await pruneEvents(env.DB, Date.now() + 400 * 86_400_000, 30);
    await createUser(t, "fresh@contoso.com");
    const r = receiver();
    expect(await deliverWebhooks(env, T0, { send: r.send })).toMatchObject({ delivered: 1, expired: 4 });
    expect(r.received.map((d) => d.event.sequence)).toEqual([5]);
    expect(await stateOf(w.id)).toMatchObject({ expiredUndelivered: 4, backlog: 0 });
  });

  it("a changed WEBHOOK_SECRETS_KEY: nothing is sent unsigned; the failure says why, and the key restored resumes", async () => {
    const t = await newScimTenant();
    const w = await register({ tenantId: t.id });
    await createUser(t, "x@contoso.com");
    const r = receiver();
    expect(await deliverWebhooks({ ...env, WEBHOOK_SECRETS_KEY: "a-different-key-of-enough-characters-000" }, T0, { send: r.send })).toMatchObject({ failed: 1 });
    expect(r.received).toEqual([]);
    expect(await stateOf(w.id)).toMatchObject({ consecutiveFailures: 1, lastFailure: { status: null, error: "secret_unreadable" } });
    // Without any key: no run at all.
    expect(await deliverWebhooks({ ...env, WEBHOOK_SECRETS_KEY: undefined }, T0 + MINUTE, { send: r.send })).toMatchObject({ endpoints: 0 });
    expect(await deliverWebhooks(env, T0 + MINUTE, { send: r.send })).toMatchObject({ delivered: 1 });
    expect(new Webhook(w.secret).verify(r.received[0]!.body, r.received[0]!.headers)).toMatchObject({ sequence: 1 });
  });
});

describe("the cron", () => {
  async function cron(expression: string, scheduledTime: number): Promise<void> {
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ scheduledTime, cron: expression }), env, ctx);
    await waitOnExecutionContext(ctx);
  }

  it(`"${WEBHOOK_CRON}" delivers (here: to a closed port, a network failure); the licence sweep's trigger does not`, async () => {
    const t = await newScimTenant();
    // A loopback port nothing listens on (workerd prints "Network connection lost" for the refused connection).
    const w = await register({ tenantId: t.id, url: "http://127.0.0.1:9/closed" });
    await createUser(t, "x@contoso.com");
    await cron("*/15 * * * *", T0);
    expect(await stateOf(w.id)).toMatchObject({ backlog: 1, lastFailure: null, consecutiveFailures: 0 });
    await cron(WEBHOOK_CRON, T0);
    const s = await stateOf(w.id);
    expect(s).toMatchObject({ backlog: 1, consecutiveFailures: 1, lastFailure: { status: null } });
    expect(["network", "timeout"]).toContain(s.lastFailure!.error);
  });
});
