/**
 * The world one fuzz run plays in: tenant A, which receives the generated
 * requests, and tenant B, a bystander whose ids A's requests use as members
 * and managers. Both are small (a few users and groups), so a snapshot of
 * every row they own is one cheap D1 batch, taken before and after each
 * request straight from the tables (not through the admin API).
 */
import { env } from "cloudflare:workers";
import { admin, createTenant, issueToken } from "../../support/admin-client.js";
import { scimCall } from "./send.js";

type Row = Record<string, unknown>;

export interface TenantRows {
  users: Row[];
  groups: Row[];
  memberships: Row[];
  licences: Row[];
  stats: Row | undefined;
  /** The change feed: a refused request records no event. */
  events: Row[];
}

export interface Snapshot {
  /** Every row of both tenants, as one canonical string: equal strings ⇔ nothing changed. */
  text: string;
  a: TenantRows;
  b: TenantRows;
}

export interface FuzzTenant {
  id: string;
  token: string;
  proGraceHours: number;
}

export interface TenantPolicy {
  allowedDomains: string[];
  locations: string[];
  licenceWhenAbsent: "pro" | "free";
  proGraceHours: number;
}

export interface World {
  a: FuzzTenant;
  b: FuzzTenant;
  /** Requests the set-up sent (not counted as generated requests). */
  setupRequests: number;
}

const HOUR = 3_600_000;
export const ENTERPRISE_USER = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
export const GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group";
export const USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User";
export const LICENCE_EXT = "urn:ietf:params:scim:schemas:extension:klaxoon:2.0:Group";
export const USER_EXT = "urn:ietf:params:scim:schemas:extension:klaxon:2.0:User";
export const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

let worlds = 0;

async function seedTenant(tenant: FuzzTenant, domain: string): Promise<number> {
  let sent = 0;
  const post = async (path: string, body: unknown): Promise<string> => {
    sent++;
    const res = await scimCall(tenant.id, tenant.token, "POST", path, JSON.stringify(body));
    if (res.status !== 201) throw new Error(`fuzz set-up: POST ${path} answered ${res.status} ${res.text.slice(0, 500)}`);
    return (JSON.parse(res.text) as { id: string }).id;
  };
  const boss = await post("/Users", { schemas: [USER_SCHEMA], userName: `boss@${domain}`, active: true, displayName: "Boss" });
  const ann = await post("/Users", {
    schemas: [USER_SCHEMA, ENTERPRISE_USER],
    userName: `ann@${domain}`,
    active: true,
    emails: [{ type: "work", value: `ann@${domain}`, primary: true }],
    [ENTERPRISE_USER]: { manager: { value: boss } },
  });
  const off = await post("/Users", { schemas: [USER_SCHEMA], userName: `off@${domain}`, active: false, externalId: "ext-off" });
  await post("/Groups", { schemas: [GROUP_SCHEMA, LICENCE_EXT], displayName: "Pro", [LICENCE_EXT]: { license: "True" }, members: [{ value: ann }, { value: off }] });
  await post("/Groups", { schemas: [GROUP_SCHEMA, LICENCE_EXT], displayName: "Free", [LICENCE_EXT]: { license: false }, members: [{ value: boss }] });
  return sent;
}

/** Creates tenants A (with the run's policy) and B, each with 3 users and 2 groups, through the worker. */
export async function createWorld(policy: TenantPolicy): Promise<World> {
  worlds++;
  const suffix = `${worlds}-${crypto.randomUUID().slice(0, 8)}`;
  const a = await createTenant({ id: `fuzz-a-${suffix}`, name: "Fuzz A", ...policy });
  const b = await createTenant({ id: `fuzz-b-${suffix}`, name: "Fuzz B", proGraceHours: 23 });
  const world: World = {
    a: { id: a.id, token: (await issueToken(a.id)).token, proGraceHours: policy.proGraceHours },
    b: { id: b.id, token: (await issueToken(b.id)).token, proGraceHours: 23 },
    setupRequests: 4,
  };
  world.setupRequests += await seedTenant(world.a, policy.allowedDomains[0] ?? "contoso.com");
  world.setupRequests += await seedTenant(world.b, "fabrikam.com");
  return world;
}

/** Deletes both tenants (the admin purge), so the database stays small across runs. */
export async function destroyWorld(world: World): Promise<void> {
  for (const t of [world.a, world.b]) {
    const res = await admin("DELETE", `/admin/tenants/${t.id}`);
    if (res.status !== 204) throw new Error(`fuzz tear-down: DELETE tenant ${t.id} answered ${res.status} ${await res.text()}`);
  }
}

export async function snapshot(world: World): Promise<Snapshot> {
  const db = env.DB;
  const ids = [world.a.id, world.b.id];
  const [users, groups, memberships, licences, stats, events] = await db.batch<Row>([
    db.prepare(`SELECT * FROM users WHERE tenant_id IN (?1, ?2) ORDER BY tenant_id, id`).bind(...ids),
    db.prepare(`SELECT * FROM groups WHERE tenant_id IN (?1, ?2) ORDER BY tenant_id, id`).bind(...ids),
    db.prepare(`SELECT * FROM memberships WHERE tenant_id IN (?1, ?2) ORDER BY tenant_id, group_id, user_id`).bind(...ids),
    db.prepare(`SELECT * FROM licences WHERE tenant_id IN (?1, ?2) ORDER BY tenant_id, user_id`).bind(...ids),
    db.prepare(`SELECT * FROM tenant_stats WHERE tenant_id IN (?1, ?2) ORDER BY tenant_id`).bind(...ids),
    db.prepare(`SELECT * FROM events WHERE tenant_id IN (?1, ?2) ORDER BY seq`).bind(...ids),
  ]);
  const tables = {
    users: users!.results,
    groups: groups!.results,
    memberships: memberships!.results,
    licences: licences!.results,
    stats: stats!.results,
    events: events!.results,
  };
  const of = (tenantId: string): TenantRows => ({
    users: tables.users.filter((r) => r.tenant_id === tenantId),
    groups: tables.groups.filter((r) => r.tenant_id === tenantId),
    memberships: tables.memberships.filter((r) => r.tenant_id === tenantId),
    licences: tables.licences.filter((r) => r.tenant_id === tenantId),
    stats: tables.stats.find((r) => r.tenant_id === tenantId),
    events: tables.events.filter((r) => r.tenant_id === tenantId),
  });
  return { text: JSON.stringify(tables), a: of(world.a.id), b: of(world.b.id) };
}

/** Tenant B's rows alone, canonical: A's requests must never change them. */
export function rowsText(rows: TenantRows): string {
  return JSON.stringify(rows);
}

/**
 * The invariants of one tenant, from its rows: counters equal count(*), an
 * active licence ⇔ an active user with a licensing membership, a downgraded
 * licence carries its tenant's grace, and every membership and manager stays
 * inside the tenant. Returns the violations (empty when all hold).
 */
export function invariantViolations(rows: TenantRows, tenant: FuzzTenant, otherTenantUserIds: ReadonlySet<string>): string[] {
  const out: string[] = [];
  const label = `tenant ${tenant.id}`;
  const stats = rows.stats;
  if (!stats) return [`${label}: no tenant_stats row`];
  const count = (rowsOf: Row[], pred: (r: Row) => boolean = () => true) => rowsOf.filter(pred).length;
  const expected: Record<string, number> = {
    users: rows.users.length,
    active_users: count(rows.users, (u) => u.active === 1),
    groups: rows.groups.length,
    memberships: rows.memberships.length,
    pro_licenses: count(rows.licences, (l) => l.status === "active"),
    downgraded_licenses: count(rows.licences, (l) => l.status === "downgraded"),
  };
  for (const [column, n] of Object.entries(expected)) {
    if (stats[column] !== n) out.push(`${label}: tenant_stats.${column} = ${String(stats[column])}, count(*) = ${n}`);
  }

  const userById = new Map(rows.users.map((u) => [u.id as string, u]));
  const groupById = new Map(rows.groups.map((g) => [g.id as string, g]));
  const licensedByMembership = new Set<string>();
  for (const m of rows.memberships) {
    const user = userById.get(m.user_id as string);
    const group = groupById.get(m.group_id as string);
    if (!user || !group) {
      out.push(`${label}: membership ${String(m.group_id)} → ${String(m.user_id)} names a user or group outside the tenant`);
      continue;
    }
    if (group.licensing === 1 && user.active === 1) licensedByMembership.add(user.id as string);
  }
  const licenceByUser = new Map(rows.licences.map((l) => [l.user_id as string, l]));
  for (const l of rows.licences) {
    if (!userById.has(l.user_id as string)) out.push(`${label}: licence of ${String(l.user_id)}, not a user of the tenant`);
    if (l.status === "active" && (l.downgraded_at !== null || l.since === null)) out.push(`${label}: active licence of ${String(l.user_id)} with downgraded_at set`);
    if (l.status === "downgraded" && (typeof l.downgraded_at !== "number" || l.expires_at !== (l.downgraded_at as number) + tenant.proGraceHours * HOUR)) {
      out.push(`${label}: downgraded licence of ${String(l.user_id)}: expires_at ${String(l.expires_at)} ≠ downgraded_at ${String(l.downgraded_at)} + ${tenant.proGraceHours} h`);
    }
    if (l.status !== "active" && l.status !== "downgraded") out.push(`${label}: licence of ${String(l.user_id)} with status ${String(l.status)}`);
  }
  for (const u of rows.users) {
    const id = u.id as string;
    const active = licenceByUser.get(id)?.status === "active";
    if (active !== licensedByMembership.has(id)) {
      out.push(`${label}: user ${id} (active ${String(u.active)}) ${active ? "holds an active licence without" : "has no active licence despite"} an active licensing membership`);
    }
    const doc = JSON.parse(u.doc as string) as Record<string, unknown>;
    const manager = (doc[ENTERPRISE_USER] as { manager?: { value?: unknown } } | undefined)?.manager?.value;
    if (typeof manager === "string" && otherTenantUserIds.has(manager)) out.push(`${label}: user ${id} has the other tenant's user ${manager} as manager`);
  }
  return out;
}
