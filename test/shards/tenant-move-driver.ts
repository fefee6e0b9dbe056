/**
 * Driving tenant moves from a test (src/moves/): the admin routes, the
 * advancer run as the scheduled handler runs it — with a clock the test
 * moves by hand (leases, the KV settling wait) instead of waiting — a
 * populated tenant, and what each shard holds of it, read straight from D1.
 */
import { env } from "cloudflare:workers";
import { expect } from "vitest";
import { forgetTenant } from "../../src/middleware/live-tenant/index.js";
import { advanceTenantMoves, type AdvanceOptions, type AdvanceReport } from "../../src/moves/advancer.js";
import { KV_SETTLE_MS } from "../../src/moves/plan.js";
import { admin } from "../support/admin-client.js";
import { createGroup, createUser } from "../support/licences.js";
import { loggedTenant, type LoggedTenant } from "../support/provisioning-log.js";
import { binding, countOn, type Shard } from "./local-shards.js";

export { binding, countOn, SHARDS, type Shard } from "./local-shards.js";

const HELD = ["users", "groups", "memberships", "licences", "events", "request_log", "tenant_stats", "tenants"] as const;
export type Holdings = Record<(typeof HELD)[number], number>;

/** Every table of the tenant on a shard, as counts. */
export async function holdings(shard: string, tenantId: string): Promise<Holdings> {
  const out = {} as Holdings;
  for (const table of HELD) out[table] = await countOn(shard, table, tenantId);
  return out;
}

/** Nothing of the tenant on a shard. */
export const NOTHING: Holdings = { users: 0, groups: 0, memberships: 0, licences: 0, events: 0, request_log: 0, tenant_stats: 0, tenants: 0 };

/** The tenant's copy row on a shard: its copy columns. */
export async function copyOn(shard: string, tenantId: string): Promise<{ shard: string; writes_paused_at: number | null; moved_to: string | null } | null> {
  return binding(shard).prepare(`SELECT shard, writes_paused_at, moved_to FROM tenants WHERE id = ?1`).bind(tenantId).first();
}

export interface MoveBody {
  id: string;
  tenantId: string;
  state: string;
  from: string;
  to: string;
  step: string | null;
  rowsCopied: number;
  verification: Record<string, { rows: number; sha256: string }> | null;
  error: string | null;
  startedAt: string;
  updatedAt: string;
  switchedAt: string | null;
  finishedAt: string | null;
}

export async function startMove(tenantId: string, to: string): Promise<MoveBody> {
  const res = await admin("POST", `/admin/tenants/${tenantId}/move`, { to });
  expect(res.status, await res.clone().text()).toBe(202);
  return (await res.json<{ move: MoveBody }>()).move;
}

export async function moveOf(tenantId: string): Promise<MoveBody> {
  const res = await admin("GET", `/admin/tenants/${tenantId}/move`);
  expect(res.status).toBe(200);
  return (await res.json<{ move: MoveBody }>()).move;
}

/** The wall clock of the advancer's runs, moved by the test. */
export class TestClock {
  now = Date.now();
  readonly read = (): number => this.now;
  advance(ms: number): void {
    this.now += ms;
  }
}

/** One scheduled run of the advancer, at the clock's time. */
export function tick(clock: TestClock, options: Omit<AdvanceOptions, "clock"> = {}): Promise<AdvanceReport> {
  return advanceTenantMoves(env, clock.now, { clock: clock.read, onSwitched: forgetTenant, ...options });
}

const OVER = new Set(["done", "failed", "aborted"]);

/**
 * Runs the advancer until the tenant's move is over (or `until` says stop),
 * the clock moving past the KV settling wait between runs; returns the
 * states it went through, in order, each once.
 */
export async function runMove(
  tenantId: string,
  clock: TestClock,
  options: Omit<AdvanceOptions, "clock"> = {},
  until: (m: MoveBody) => boolean = (m) => OVER.has(m.state),
): Promise<string[]> {
  const states: string[] = [];
  for (let i = 0; i < 1000; i++) {
    const move = await moveOf(tenantId);
    if (states[states.length - 1] !== move.state) states.push(move.state);
    if (until(move)) return states;
    await tick(clock, options);
    clock.advance(KV_SETTLE_MS + 1);
  }
  throw new Error(`the move of ${tenantId} did not end`);
}

const USER = "urn:ietf:params:scim:schemas:core:2.0:User";

export interface Populated {
  tenant: LoggedTenant;
  users: string[];
  groups: string[];
}

/**
 * A tenant on `shard` with data in every table: users (one inactive), a
 * licensing group and a free one with members (so licences), a deleted
 * user (events of every kind), and provisioning log entries.
 */
export async function populatedTenant(shard: Shard, options: { users?: number; id?: string } = {}): Promise<Populated> {
  const tenant = await loggedTenant({ shard, ...(options.id ? { id: options.id } : {}) });
  const users: string[] = [];
  for (let i = 0; i < (options.users ?? 6); i++) users.push(await createUser(tenant, `user${i}@example.com`, { schemas: [USER], displayName: `User ${i}` }));
  const pro = await createGroup(tenant, "Pro", "True", users.slice(0, 4));
  const free = await createGroup(tenant, "Free", "False", users.slice(2));
  const gone = await createUser(tenant, "gone@example.com", { schemas: [USER] });
  expect((await tenant.request("DELETE", `/Users/${gone}`)).status).toBe(204);
  expect((await tenant.request("PATCH", `/Users/${users[1]}`, { schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], Operations: [{ op: "replace", path: "active", value: false }] })).status).toBe(200);
  // Provisioning log entries from hours before the move: the settled part verification compares (src/moves/plan.ts).
  const hoursAgo = (h: number) => Date.now() - h * 3_600_000;
  for (const [i, at] of [hoursAgo(5), hoursAgo(5) + 1, hoursAgo(30)].entries()) {
    await binding(shard)
      .prepare(
        `INSERT INTO request_log (tenant_id, hour, resource_id, at, request_id, method, path, status, duration_ms, user_agent)
         VALUES (?1, ?2, ?3, ?4, ?5, 'GET', '/Users', 200, 3, 'test')`,
      )
      .bind(tenant.id, Math.floor(at / 3_600_000), i === 0 ? users[0] : "", at, `earlier-${i}`)
      .run();
  }
  return { tenant, users, groups: [pro, free] };
}

/** A user resource as SCIM returns it, without meta.location's host. */
export async function usersOf(tenant: LoggedTenant): Promise<unknown[]> {
  const r = await tenant.request("GET", "/Users?count=1000");
  expect(r.status).toBe(200);
  return r.body.Resources as unknown[];
}
