/**
 * Webhooks end to end (docs/webhooks.md): `wrangler dev --test-scheduled`,
 * a receiver in this process on 127.0.0.1, SCIM changes, and the scheduled
 * handler as the only driver of deliveries and retries:
 * - `GET /__scheduled?cron=* * * * *` (wrangler's --test-scheduled route)
 *   runs it at the current time;
 * - `GET /cdn-cgi/local/scheduled?cron=* * * * *&time=<ms>` (Miniflare's
 *   trigger route, which wrangler dev serves too) runs it at a chosen
 *   scheduled time. The back-off is planned against the run's scheduled
 *   time, so the test steps through it without waiting.
 * Signatures are checked with the `standardwebhooks` package in Node, as a
 * receiver would.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startWranglerDev, type WranglerDev, adminRequest as adminRequestTo } from "./support/wrangler-dev.js";

interface Received {
  path: string;
  headers: Record<string, string>;
  body: string;
  event: { id: string; tenantId: string; sequence: number; type: string; resourceId: string };
  /** The status this request was answered with. */
  status: number;
}

let worker: WranglerDev;
let server: Server;
let receiverOrigin: string;
let received: Received[] = [];
/** Statuses for the next requests, in turn; then 200. */
let answers: number[] = [];
const tenantId = "e2e-webhooks";
let scimToken: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => (body += chunk));
    req.on("end", () => {
      const status = answers.shift() ?? 200;
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(", ") : (v ?? "")]));
      received.push({ path: req.url ?? "", headers, body, event: JSON.parse(body), status });
      res.writeHead(status, { "content-type": "text/plain" }).end(status < 300 ? "thanks" : "not now");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  receiverOrigin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  worker = await startWranglerDev();
  expect((await adminRequest("POST", "/admin/tenants", { id: tenantId, name: "E2E webhooks" })).status).toBe(201);
  scimToken = ((await (await adminRequest("POST", `/admin/tenants/${tenantId}/tokens`, {})).json()) as { token: string }).token;
});

afterAll(async () => {
  await worker?.stop();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
});

beforeEach(async () => {
  const { webhooks } = (await (await adminRequest("GET", "/admin/webhooks")).json()) as { webhooks: Array<{ id: string }> };
  for (const w of webhooks) expect((await adminRequest("DELETE", `/admin/webhooks/${w.id}`)).status).toBe(204);
  received = [];
  answers = [];
});

const adminRequest = (method: string, path: string, body?: unknown) => adminRequestTo(worker, method, path, body);

async function scim(method: string, path: string, body?: unknown): Promise<{ status: number; id?: string }> {
  const res = await fetch(`${worker.origin}/tenants/${tenantId}/scim/v2${path}`, {
    method,
    headers: { authorization: `Bearer ${scimToken}`, "content-type": "application/scim+json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, ...(text ? { id: (JSON.parse(text) as { id?: string }).id } : {}) };
}

async function register(body: Record<string, unknown>): Promise<{ id: string; secret: string }> {
  const res = await adminRequest("POST", "/admin/webhooks", body);
  expect(res.status, await res.clone().text()).toBe(201);
  expect(res.headers.get("cache-control")).toBe("no-store");
  return (await res.json()) as { id: string; secret: string };
}

const EVERY_MINUTE = encodeURIComponent("* * * * *");

/** Runs the scheduled handler as the every-minute trigger would, now; returns when the run is over. */
async function deliveryRun(): Promise<void> {
  const res = await fetch(`${worker.origin}/__scheduled?cron=${EVERY_MINUTE}`);
  expect(res.status, worker.output().slice(-2000)).toBe(200);
}

/** The same, with the run's scheduled time set to `time` (ms). */
async function deliveryRunAt(time: number): Promise<void> {
  const res = await fetch(`${worker.origin}/cdn-cgi/local/scheduled?cron=${EVERY_MINUTE}&time=${time}`);
  expect(res.status, worker.output().slice(-2000)).toBe(200);
}

async function delivery(id: string) {
  const res = await adminRequest("GET", "/admin/webhooks");
  const { webhooks } = (await res.json()) as { webhooks: Array<{ id: string; delivery: Record<string, unknown> }> };
  return webhooks.find((w) => w.id === id)!.delivery;
}

async function feed(after: number): Promise<Array<{ id: string; sequence: number }>> {
  const res = await adminRequest("GET", `/admin/tenants/${tenantId}/events?limit=1000`);
  const { events } = (await res.json()) as { events: Array<{ id: string; sequence: number }> };
  return events.filter((e) => e.sequence > after);
}

async function lastSequence(): Promise<number> {
  const all = await feed(0);
  return all.length === 0 ? 0 : all[all.length - 1]!.sequence;
}

const user = (userName: string) => ({ schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"], userName, active: true });
const deactivate = { schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], Operations: [{ op: "replace", path: "active", value: false }] };

describe("webhooks under wrangler dev", () => {
  it("delivers SCIM changes signed, in order, the feed's events as bodies; a type filter across tenants", async () => {
    const start = await lastSequence();
    const everything = await register({ url: `${receiverOrigin}/tenant`, tenantId });
    const deactivations = await register({ url: `${receiverOrigin}/deactivations`, types: ["user.deactivated"] });

    const a = await scim("POST", "/Users", user("ada@example.com"));
    expect(a.status).toBe(201);
    expect((await scim("POST", "/Users", user("grace@example.com"))).status).toBe(201);
    expect((await scim("PATCH", `/Users/${a.id}`, deactivate)).status).toBe(200);
    expect((await scim("DELETE", `/Users/${a.id}`)).status).toBe(204);

    await deliveryRun();

    const events = await feed(start);
    const toTenant = received.filter((r) => r.path === "/tenant");
    expect(toTenant.map((r) => r.event.id)).toEqual(events.map((e) => e.id));
    expect(toTenant.map((r) => r.event.sequence)).toEqual(events.map((e) => e.sequence));
    expect(toTenant.map((r) => r.event.type)).toEqual(["user.created", "user.created", "user.deactivated", "user.deleted"]);
    const hook = new Webhook(everything.secret);
    for (const r of toTenant) {
      expect(r.headers["webhook-id"]).toBe(r.event.id);
      expect(r.headers["content-type"]).toBe("application/json");
      expect(hook.verify(r.body, r.headers)).toEqual(r.event);
      // Another endpoint's secret does not verify it.
      expect(() => new Webhook(deactivations.secret).verify(r.body, r.headers)).toThrow();
    }
    const toDeactivations = received.filter((r) => r.path === "/deactivations");
    expect(toDeactivations.map((r) => [r.event.type, r.event.resourceId])).toEqual([["user.deactivated", a.id]]);
    expect(new Webhook(deactivations.secret).verify(toDeactivations[0]!.body, toDeactivations[0]!.headers)).toMatchObject({ tenantId });

    expect(await delivery(everything.id)).toMatchObject({ state: "ok", backlog: 0, delivered: 4, lastFailure: null });
    expect(await delivery(deactivations.id)).toMatchObject({ state: "ok", backlog: 0, delivered: 1 });

    // Nothing new: another run sends nothing.
    await deliveryRun();
    expect(received).toHaveLength(5);
  });

  it("a receiver answering 500 gets the same webhook-id again by the back-off, then everything in order: nothing lost, nothing else repeated", async () => {
    const start = await lastSequence();
    const endpoint = await register({ url: `${receiverOrigin}/flaky`, tenantId });
    for (const name of ["u1", "u2", "u3"]) expect((await scim("POST", "/Users", user(`${name}@example.com`))).status).toBe(201);
    const events = await feed(start);
    expect(events).toHaveLength(3);

    // The first event is acknowledged, the second refused twice. The runs are scheduled from ten
    // minutes ago, so the last step — a plain /__scheduled run now — finds the retry due.
    answers = [200, 500, 500];
    const t0 = Math.floor(Date.now() / 60_000) * 60_000 - 10 * 60_000;
    await deliveryRunAt(t0);
    expect(received.map((r) => [r.event.id, r.status])).toEqual([
      [events[0]!.id, 200],
      [events[1]!.id, 500],
    ]);
    let state = await delivery(endpoint.id);
    expect(state).toMatchObject({ state: "retrying", consecutiveFailures: 1, backlog: 2, delivered: 1, nextAttemptAt: new Date(t0 + 30_000).toISOString() });
    expect(state["lastFailure"]).toMatchObject({ status: 500, error: "http_status", eventId: events[1]!.id });

    // Before the back-off has passed: nothing is sent.
    await deliveryRunAt(t0 + 20_000);
    expect(received).toHaveLength(2);
    // The next minute: the same event, the same webhook-id — refused again; the wait grows to 2 minutes.
    await deliveryRunAt(t0 + 60_000);
    expect(received.map((r) => r.event.id)).toEqual([events[0]!.id, events[1]!.id, events[1]!.id]);
    state = await delivery(endpoint.id);
    expect(state).toMatchObject({ consecutiveFailures: 2, nextAttemptAt: new Date(t0 + 180_000).toISOString() });
    await deliveryRunAt(t0 + 120_000);
    expect(received).toHaveLength(3);
    // Another change meanwhile queues behind the failing event.
    expect((await scim("POST", "/Users", user("u4@example.com"))).status).toBe(201);
    const all = await feed(start);
    // Now (past t0 + 3 min): the plain trigger delivers what is due.
    await deliveryRun();

    // Every event acknowledged exactly once, in sequence; the only repeats are the refused attempts, with the same id and body.
    const acknowledged = received.filter((r) => r.status === 200);
    expect(acknowledged.map((r) => r.event.id)).toEqual(all.map((e) => e.id));
    const byId = new Map<string, Received[]>();
    for (const r of received) byId.set(r.event.id, [...(byId.get(r.event.id) ?? []), r]);
    expect([...byId.values()].map((rs) => rs.map((r) => r.status))).toEqual([[200], [500, 500, 200], [200], [200]]);
    const hook = new Webhook(endpoint.secret);
    for (const r of received) expect(hook.verify(r.body, r.headers)).toEqual(r.event);
    expect(new Set(byId.get(events[1]!.id)!.map((r) => r.body)).size).toBe(1);

    expect(await delivery(endpoint.id)).toMatchObject({ state: "ok", consecutiveFailures: 0, nextAttemptAt: null, backlog: 0, delivered: 4 });
  });

  it("an endpoint whose receiver is down keeps its events until it is back", async () => {
    const start = await lastSequence();
    // A port with nothing listening: connection refused.
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const endpoint = await register({ url: `http://127.0.0.1:${port}/down`, tenantId });
    expect((await scim("POST", "/Users", user("down@example.com"))).status).toBe(201);
    await deliveryRun();
    const state = await delivery(endpoint.id);
    expect(state).toMatchObject({ state: "retrying", backlog: 1, delivered: 0, lastFailure: { status: null } });
    expect(await feed(start)).toHaveLength(1);
  });
});
