/**
 * Three data shards under `wrangler dev` (docs/sharding.md): a config made
 * from wrangler.toml with DB_2 and DB_3 added and DATA_SHARDS =
 * "DB,DB_2,DB_3", every database migrated by the project's own
 * scripts/migrate.mjs, then tenants placed on each shard through the admin
 * API, provisioned over HTTP with their own tokens and kept apart; then one
 * tenant moved to another shard by the scheduled runs, after which it is
 * served from there with the same ids and events.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { shardedWranglerConfig, shardRows } from "./support/sharded-config.js";
import { adminRequest, startWranglerDev, type WranglerDev } from "./support/wrangler-dev.js";

const USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User";
const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
/** Scheduled runs a move may take here (each one a request to /__scheduled): a bound, not a wait. */
const MAX_SCHEDULED_RUNS = 40;
/**
 * Each run is handed a scheduled time one cron minute after the last, as the every-minute trigger would
 * be: the move's clock follows it (src/scheduled.ts), so its wait for KV's cache passes without waiting.
 */
const CRON_MINUTE_MS = 60_000;

let dir: string;
let config: string;
let worker: WranglerDev;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "scim-edge-e2e-shards-"));
  config = shardedWranglerConfig(dir);
  worker = await startWranglerDev({ persistTo: dir, config });
});

afterAll(async () => {
  await worker?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface Reply {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON asserted field by field
  headers: Headers;
}

async function reply(res: Response): Promise<Reply> {
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

const adminCall = async (method: string, pathname: string, body?: unknown) => reply(await adminRequest(worker, method, pathname, body));

async function scim(tenantId: string, token: string, method: string, pathname: string, body?: unknown): Promise<Reply> {
  const res = await fetch(`${worker.origin}/tenants/${tenantId}/scim/v2${pathname}`, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/scim+json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return reply(res);
}

/** A tenant on `shard`, with a token. */
async function tenantOn(id: string, shard: string): Promise<{ id: string; token: string }> {
  const created = await adminCall("POST", "/admin/tenants", { id, name: `Tenant ${id}`, shard });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  expect(created.body.shard).toBe(shard);
  const issued = await adminCall("POST", `/admin/tenants/${id}/tokens`, { label: "e2e" });
  expect(issued.status).toBe(201);
  return { id, token: issued.body.token as string };
}

const usersPerTenant = async (shard: string) =>
  Object.fromEntries((await shardRows<{ tenant_id: string; n: number }>(config, dir, shard, "SELECT tenant_id, count(*) AS n FROM users GROUP BY tenant_id")).map((r) => [r.tenant_id, r.n]));

describe("three shards under wrangler dev", () => {
  it("migrates every shard with the project's script", async () => {
    const expected = (await shardRows<{ name: string }>(config, dir, "DB", "SELECT name FROM d1_migrations ORDER BY id")).map((r) => r.name);
    expect(expected.at(-1)).toMatch(/^\d{4}_.+\.sql$/);
    for (const shard of ["DB_2", "DB_3"]) {
      expect((await shardRows<{ name: string }>(config, dir, shard, "SELECT name FROM d1_migrations ORDER BY id")).map((r) => r.name), shard).toEqual(expected);
    }
  });

  it("places tenants on the shard asked for, serves each from its shard with its own token, and keeps them apart", async () => {
    const tenants = [await tenantOn("e2e-one", "DB"), await tenantOn("e2e-two", "DB_2"), await tenantOn("e2e-three", "DB_3")];
    const ids: string[] = [];
    for (const t of tenants) {
      // The same userName in every tenant: unique per tenant, not per deployment.
      const created = await scim(t.id, t.token, "POST", "/Users", { schemas: [USER_SCHEMA], userName: "same@example.com" });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      ids.push(created.body.id as string);
      const list = await scim(t.id, t.token, "GET", "/Users");
      expect(list.status).toBe(200);
      expect(list.body.totalResults).toBe(1);
      expect(list.body.Resources[0].id).toBe(created.body.id);
    }
    // Another tenant's user is not there; another tenant's token is refused.
    expect((await scim("e2e-two", tenants[1]!.token, "GET", `/Users/${ids[2]}`)).status).toBe(404);
    expect((await scim("e2e-two", tenants[2]!.token, "GET", "/Users")).status).toBe(401);

    // Where the rows are: each tenant's user on its own shard only.
    expect(await usersPerTenant("DB")).toEqual({ "e2e-one": 1 });
    expect(await usersPerTenant("DB_2")).toEqual({ "e2e-two": 1 });
    expect(await usersPerTenant("DB_3")).toEqual({ "e2e-three": 1 });

    // The all-tenants feed merges the three shards.
    const feed = await adminCall("GET", "/admin/events?type=user.created");
    expect(feed.status).toBe(200);
    expect((feed.body.events as Array<{ tenantId: string }>).map((e) => e.tenantId).sort()).toEqual(["e2e-one", "e2e-three", "e2e-two"]);
  });

  it("moves a tenant to another shard through the scheduled runs; it keeps its ids, events and token, and is served from there", async () => {
    const t = await tenantOn("e2e-mover", "DB_2");
    const user = await scim(t.id, t.token, "POST", "/Users", { schemas: [USER_SCHEMA], userName: "moving@example.com" });
    expect(user.status).toBe(201);
    const group = await scim(t.id, t.token, "POST", "/Groups", { displayName: "Pro", members: [{ value: user.body.id }] });
    expect(group.status).toBe(201);
    const eventsBefore = await adminCall("GET", `/admin/tenants/${t.id}/events`);
    expect(eventsBefore.status).toBe(200);

    const started = await adminCall("POST", `/admin/tenants/${t.id}/move`, { to: "DB_3" });
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    expect(started.body.move).toMatchObject({ state: "copying", from: "DB_2", to: "DB_3" });

    let time = Date.now();
    let state = "";
    const seen: string[] = [];
    for (let run = 0; run < MAX_SCHEDULED_RUNS && state !== "done"; run++) {
      time += CRON_MINUTE_MS;
      // Miniflare's trigger endpoint, which takes the scheduled time (wrangler's `/__scheduled` passes only the cron).
      const scheduled = await fetch(`${worker.origin}/cdn-cgi/local/scheduled?cron=${encodeURIComponent("* * * * *")}&time=${time}&format=json`);
      expect(scheduled.status, await scheduled.clone().text()).toBe(200);
      expect(await scheduled.json()).toMatchObject({ outcome: "ok" });
      const move = await adminCall("GET", `/admin/tenants/${t.id}/move`);
      expect(move.status).toBe(200);
      state = `${move.body.move.state}`;
      const at = move.body.move.step === null ? state : `${state}/${move.body.move.step}`;
      if (seen.at(-1) !== at) seen.push(at);
      expect(["failed", "aborted"], `move ${state}: ${JSON.stringify(move.body.move)}\n${worker.output().slice(-3000)}`).not.toContain(state);
    }
    expect(state, `states seen: ${seen.join(" → ")}`).toBe("done");
    // The run that switched stopped there: the old shard is cleaned only once KV's cached routes have expired.
    expect(seen).toContain("cleaning/settle");

    const tenant = await adminCall("GET", `/admin/tenants/${t.id}`);
    expect(tenant.body.shard).toBe("DB_3");
    expect(tenant.body.stats).toMatchObject({ users: 1, groups: 1, memberships: 1, proLicenses: 1 });

    // Same token, same ids: reads and writes now go to DB_3.
    const read = await scim(t.id, t.token, "GET", `/Users/${user.body.id}`);
    expect(read.status).toBe(200);
    expect(read.body.userName).toBe("moving@example.com");
    expect((await scim(t.id, t.token, "GET", `/Groups/${group.body.id}`)).body.members.map((m: { value: string }) => m.value)).toEqual([user.body.id]);
    const second = await scim(t.id, t.token, "POST", "/Users", { schemas: [USER_SCHEMA], userName: "after@example.com" });
    expect(second.status).toBe(201);
    const patched = await scim(t.id, t.token, "PATCH", `/Groups/${group.body.id}`, { schemas: [PATCH_OP], Operations: [{ op: "add", path: "members", value: [{ value: second.body.id }] }] });
    expect(patched.status).toBe(204);
    expect((await scim(t.id, t.token, "GET", "/Users")).body.totalResults).toBe(2);

    expect((await usersPerTenant("DB_3"))[t.id]).toBe(2);
    expect((await usersPerTenant("DB_2"))[t.id]).toBeUndefined();

    // The tenant's feed continues where it was, with the events it had; the all-tenants feed has them once.
    const eventsAfter = await adminCall("GET", `/admin/tenants/${t.id}/events`);
    const before = (eventsBefore.body.events as Array<{ id: string }>).map((e) => e.id);
    expect((eventsAfter.body.events as Array<{ id: string }>).map((e) => e.id).slice(0, before.length)).toEqual(before);
    const all = await adminCall("GET", "/admin/events?limit=1000");
    const mine = (all.body.events as Array<{ id: string; tenantId: string }>).filter((e) => e.tenantId === t.id).map((e) => e.id);
    expect(new Set(mine).size).toBe(mine.length);
    expect(mine).toEqual(expect.arrayContaining(before));
  });
});
