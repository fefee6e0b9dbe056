/**
 * Tenants: the vendor's customers, each with its own Tenant URL, tokens,
 * users and groups (README, "Admin API").
 *
 * A deleted tenant is first marked (`deleted_at`), which hides it from every
 * reader at once, then purged in bounded chunks. Its id stays taken until the
 * purge has removed the tenants row, so a new tenant can never inherit rows
 * of an old one.
 */
import { and, asc, eq, gt, isNull, sql } from "drizzle-orm";
import type { Database } from "./database.js";
import { tenantMoves, tenants, tenantStats } from "./schema.js";
import { isUniqueViolation } from "./sqlite-errors.js";
import { purgeTenantOAuthClients } from "./oauth-clients.js";
import { purgeTenantTokens } from "./tokens.js";

/** A tenant id, as it appears in the Tenant URL `/tenants/{tenantId}/scim/v2`. */
export const TENANT_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;
/** The default grace of a downgraded licence (README, "The licence model"). */
export const DEFAULT_PRO_GRACE_HOURS = 23;
/** Rows per purge statement: bounded so no statement blocks D1's single writer for long (D1 runs one query at a time per database). */
export const PURGE_CHUNK_ROWS = 5_000;

/**
 * What a group created without the licence extension attribute is: a
 * licensing group ("pro", the default seed rule) or a free one ("free").
 */
export type LicenceWhenAbsent = "pro" | "free";
export const DEFAULT_LICENCE_WHEN_ABSENT: LicenceWhenAbsent = "pro";

export interface Tenant {
  id: string;
  name: string;
  allowedDomains: string[];
  proGraceHours: number;
  locations: string[];
  licenceWhenAbsent: LicenceWhenAbsent;
  /** The data shard holding its users, groups, licences, events and log (docs/sharding.md). */
  shard: string;
  createdAt: number;
  updatedAt: number;
}

export interface TenantStats {
  users: number;
  activeUsers: number;
  groups: number;
  memberships: number;
  proLicenses: number;
  downgradedLicenses: number;
}

export interface TenantPolicyRecord {
  allowedDomains: string[];
  locations: string[];
  proGraceHours: number;
  licenceWhenAbsent: LicenceWhenAbsent;
}

export interface NewTenant {
  id?: string | undefined;
  name: string;
  allowedDomains?: string[] | undefined;
  proGraceHours?: number | undefined;
  locations?: string[] | undefined;
  licenceWhenAbsent?: LicenceWhenAbsent | undefined;
}

export type TenantChanges = Partial<Omit<NewTenant, "id">>;

/** Thrown by createTenant when the id is taken (also by a tenant still being purged). */
export class TenantIdTakenError extends Error {
  constructor(readonly tenantId: string) {
    super(`Tenant id "${tenantId}" is already taken.`);
    this.name = "TenantIdTakenError";
  }
}


/** The column is NOT NULL DEFAULT 'pro' and only "pro"/"free" are written; anything else reads as the default. */
function parseLicenceWhenAbsent(value: unknown): LicenceWhenAbsent {
  return value === "free" ? "free" : DEFAULT_LICENCE_WHEN_ABSENT;
}

function parseStringList(json: string): string[] {
  try {
    const value: unknown = JSON.parse(json);
    return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
  } catch {
    return [];
  }
}

type TenantRow = typeof tenants.$inferSelect;

function toTenant(row: TenantRow): Tenant {
  return {
    id: row.id,
    name: row.name,
    allowedDomains: parseStringList(row.allowedDomains),
    proGraceHours: row.proGraceHours,
    locations: parseStringList(row.locations),
    licenceWhenAbsent: parseLicenceWhenAbsent(row.licenceWhenAbsent),
    shard: row.shard,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

/** A random id that satisfies TENANT_ID_PATTERN: "t" + 15 lower-case hex digits (60 bits). */
export function newTenantId(): string {
  const bytes = new Uint8Array(8);
  crypto.getRandomValues(bytes);
  return ("t" + [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("")).slice(0, 16);
}


/** A database a tenant's rows live in: the control database or one data shard (storage/shards.ts). */
export interface TenantDatabase {
  /** Its D1 binding name. */
  binding: string;
  db: Database;
}

/**
 * Inserts the tenant. On the control database it claims the id and records
 * the shard; on the data shard, its copy (the SCIM write SQL reads the
 * policy columns there) and its counters row. With the tenant on `DB`, both
 * are the same row: one batch (D1 runs a batch as one transaction). On
 * another shard, the control row first — the id is claimed before anything
 * else is written — and it is taken back if the shard's batch fails.
 */
export async function createTenant(control: TenantDatabase, data: TenantDatabase, input: NewTenant, now: number = Date.now()): Promise<Tenant> {
  const id = input.id ?? newTenantId();
  if (!TENANT_ID_PATTERN.test(id)) throw new RangeError(`Tenant id "${id}" does not match ${TENANT_ID_PATTERN}.`);
  const row: TenantRow = {
    id,
    name: input.name.trim(),
    allowedDomains: JSON.stringify(input.allowedDomains ?? []),
    proGraceHours: input.proGraceHours ?? DEFAULT_PRO_GRACE_HOURS,
    locations: JSON.stringify(input.locations ?? []),
    licenceWhenAbsent: input.licenceWhenAbsent ?? DEFAULT_LICENCE_WHEN_ABSENT,
    shard: data.binding,
    createdAt: now,
    updatedAt: now,
    deletedAt: null,
    writesPausedAt: null,
    movedTo: null,
  };
  const db = control.db;
  try {
    if (data.binding === control.binding) {
      await db.batch([db.insert(tenants).values(row), db.insert(tenantStats).values({ tenantId: id })]);
      return toTenant(row);
    }
    await db.insert(tenants).values(row);
  } catch (err) {
    if (isUniqueViolation(err, "tenants.id")) throw new TenantIdTakenError(id);
    throw err;
  }
  try {
    // A leftover copy of an earlier tenant of this id would be the purge's, which deletes copies on every shard first.
    await data.db.batch([data.db.insert(tenants).values(row), data.db.insert(tenantStats).values({ tenantId: id })]);
  } catch (err) {
    await db.delete(tenants).where(eq(tenants.id, id));
    throw err;
  }
  return toTenant(row);
}

/**
 * Live tenants per data shard, for placement (the least-loaded shard gets a
 * new tenant). One pass over the tenants_shard_idx index of the control
 * database: a row read per tenant of the deployment, on tenant creation only.
 */
export async function tenantsPerShard(db: Database): Promise<Map<string, number>> {
  const rows = await db
    .select({ shard: tenants.shard, n: sql<number>`count(*)`.mapWith(Number) })
    .from(tenants)
    .where(isNull(tenants.deletedAt))
    .groupBy(tenants.shard);
  return new Map(rows.map((r) => [r.shard, r.n]));
}

export interface TenantPage {
  tenants: Tenant[];
  /** The `after` cursor of the next page; undefined on the last page. */
  next: string | undefined;
}

/** Live tenants in id order, one bounded page at a time. */
export async function listTenants(db: Database, options: { after?: string | undefined; limit: number }): Promise<TenantPage> {
  const rows = await db
    .select()
    .from(tenants)
    .where(and(isNull(tenants.deletedAt), options.after === undefined ? undefined : gt(tenants.id, options.after)))
    .orderBy(asc(tenants.id))
    .limit(options.limit + 1);
  const page = rows.slice(0, options.limit);
  const last = page[page.length - 1];
  return { tenants: page.map(toTenant), next: rows.length > options.limit && last ? last.id : undefined };
}

/** The tenant, unless unknown or deleted (a tenant being purged is gone for every reader). */
export async function getTenant(db: Database, tenantId: string): Promise<Tenant | undefined> {
  const [row] = await db
    .select()
    .from(tenants)
    .where(and(eq(tenants.id, tenantId), isNull(tenants.deletedAt)));
  return row ? toTenant(row) : undefined;
}

/**
 * The counters row, one primary-key read; never a count(*) scan of the
 * tenant.
 *
 * `downgradedLicenses` leaves out downgraded licences already expired
 * (expires_at <= now) that the sweep has not deleted yet: a licence is never
 * reported as held after its expiry, even when cron runs were missed
 * (docs/licences.md). They are counted through the sweep's partial expiry
 * index, whose due range (expires_at <= now) is exactly the sweep's backlog:
 * the index key carries tenant_id (WITHOUT ROWID: the primary key is the row
 * locator), so other tenants' due entries are skipped inside the index, and
 * only this tenant's are looked up for their status. Rows read: the due
 * entries of every tenant plus this tenant's — a few in steady state (the
 * sweep runs every 15 minutes), and never the tenant's size. A per-tenant
 * (tenant_id, expires_at) index would bring it down to this tenant's due
 * entries, but every downgrade would then write one more index row: 6 for a
 * member removed from a licensing group, over the member-change budget of 5
 * (docs/membership-model.md, test/scim/membership-row-budget.test.ts); D1
 * bills a row written like 1,000 rows read.
 */
export async function getTenantStats(db: Database, tenantId: string, now: number = Date.now()): Promise<TenantStats> {
  const [row] = await db
    .select({
      users: tenantStats.users,
      activeUsers: tenantStats.activeUsers,
      groups: tenantStats.groups,
      memberships: tenantStats.memberships,
      proLicenses: tenantStats.proLicenses,
      downgradedLicenses: sql<number>`${tenantStats.downgradedLicenses} - (
        SELECT count(*) FROM licences INDEXED BY licences_expiry_idx
        WHERE expires_at IS NOT NULL AND expires_at <= ${now} AND tenant_id = ${tenantId} AND status = 'downgraded')`.mapWith(Number),
    })
    .from(tenantStats)
    .where(eq(tenantStats.tenantId, tenantId));
  return row ?? { users: 0, activeUsers: 0, groups: 0, memberships: 0, proLicenses: 0, downgradedLicenses: 0 };
}

/**
 * Updates the writable fields, on the control database and on the tenant's
 * data shard's copy (whose policy columns the SCIM writes read); undefined
 * when the tenant is unknown or deleted. The caller refuses this while the
 * tenant is moving (src/moves/), so the copy being made cannot miss it.
 */
export async function patchTenant(
  control: TenantDatabase,
  data: TenantDatabase,
  tenantId: string,
  changes: TenantChanges,
  now: number = Date.now(),
): Promise<Tenant | undefined> {
  const set: Partial<TenantRow> = { updatedAt: now };
  if (changes.name !== undefined) set.name = changes.name.trim();
  if (changes.allowedDomains !== undefined) set.allowedDomains = JSON.stringify(changes.allowedDomains);
  if (changes.proGraceHours !== undefined) set.proGraceHours = changes.proGraceHours;
  if (changes.locations !== undefined) set.locations = JSON.stringify(changes.locations);
  if (changes.licenceWhenAbsent !== undefined) set.licenceWhenAbsent = changes.licenceWhenAbsent;
  const live = and(eq(tenants.id, tenantId), isNull(tenants.deletedAt));
  if (data.binding !== control.binding) await data.db.update(tenants).set(set).where(live);
  const [row] = await control.db.update(tenants).set(set).where(live).returning();
  return row ? toTenant(row) : undefined;
}

/**
 * The read behind the policy the SCIM write paths apply (allowed domains,
 * known locations, grace period, licence of a group created without the
 * attribute), as a statement so that PATCH and PUT can batch it with their
 * read of the user: one D1 round trip for both.
 */
export function tenantPolicyStatement(d1: D1Database, tenantId: string): D1PreparedStatement {
  return d1
    .prepare(`SELECT allowed_domains, locations, pro_grace_hours, licence_when_absent FROM tenants WHERE id = ?1 AND deleted_at IS NULL`)
    .bind(tenantId);
}

/** The policy from tenantPolicyStatement's row; undefined for a missing or deleted tenant. */
export function tenantPolicyFrom(row: Record<string, unknown> | null | undefined): TenantPolicyRecord | undefined {
  if (!row) return undefined;
  return {
    allowedDomains: parseStringList(row.allowed_domains as string),
    locations: parseStringList(row.locations as string),
    proGraceHours: row.pro_grace_hours as number,
    licenceWhenAbsent: parseLicenceWhenAbsent(row.licence_when_absent),
  };
}

export async function loadTenantPolicy(d1: D1Database, tenantId: string): Promise<TenantPolicyRecord | undefined> {
  return tenantPolicyFrom(await tenantPolicyStatement(d1, tenantId).first<Record<string, unknown>>());
}

/**
 * Deletes `table`'s rows of the tenant, PURGE_CHUNK_ROWS per statement, until
 * none is left. D1's SQLite has no DELETE … LIMIT, so each statement picks its
 * chunk by primary key in a subquery (memberships and licences are WITHOUT
 * ROWID: no rowid to pick by).
 */
async function purgeInChunks(db: Database, statement: () => ReturnType<typeof sql>): Promise<number> {
  let total = 0;
  for (;;) {
    const result = await db.run(statement());
    const changed = result.meta.changes ?? 0;
    total += changed;
    if (changed < PURGE_CHUNK_ROWS) return total;
  }
}

/**
 * Deletes a tenant: hides it (deleted_at, on the control database and on
 * its shard's copy), revokes every token, then purges its data in FK-safe
 * order (memberships and licences before the users and groups they
 * reference; NO ACTION foreign keys, see schema.ts), the counters and the
 * copy, on every data shard — the old copy of a move and a copy a move was
 * making are purged too — and finally the control row, which frees the id.
 *
 * Resumable: called again on a tenant whose purge was interrupted, it carries
 * on. Returns false when there is no such tenant at all.
 */
export async function deleteTenant(
  control: TenantDatabase,
  shards: TenantDatabase[],
  kv: KVNamespace,
  tenantId: string,
  now: number = Date.now(),
): Promise<boolean> {
  const db = control.db;
  const [row] = await db
    .update(tenants)
    .set({ deletedAt: sql`coalesce(${tenants.deletedAt}, ${now})` })
    .where(eq(tenants.id, tenantId))
    .returning({ id: tenants.id, shard: tenants.shard });
  if (!row) return false;
  // SCIM reads the copy on the shard (middleware/live-tenant): hide it there at once too.
  const home = shards.find((s) => s.binding === row.shard && s.binding !== control.binding);
  if (home) await home.db.update(tenants).set({ deletedAt: sql`coalesce(${tenants.deletedAt}, ${now})` }).where(eq(tenants.id, tenantId));
  await purgeTenantTokens(db, kv, tenantId);
  await purgeTenantOAuthClients(db, kv, tenantId);
  // The control database's copy row is the control row itself: it goes last, with the id.
  for (const shard of shards) await purgeTenantData(shard.db, tenantId, { keepCopy: shard.binding === control.binding });
  // Its moves' record goes with it: a tenant created later under this id has moved nowhere.
  await db.batch([
    db.delete(tenantMoves).where(eq(tenantMoves.tenantId, tenantId)),
    db.delete(tenantStats).where(eq(tenantStats.tenantId, tenantId)),
    db.delete(tenants).where(eq(tenants.id, tenantId)),
  ]);
  return true;
}

/**
 * A tenant's data on one database, in bounded chunks: users, groups,
 * memberships, licences, its events (the feed's numbering stays above what is
 * deleted, so no other tenant's event ever takes a number seen before), its
 * provisioning log, counters and — unless `keepCopy` (the control
 * database's copy row is the control row, deleted last) — its copy row.
 * Tenant deletion only; a move deletes its copies in its own bounded units
 * (src/storage/tenant-copy.ts).
 */
export async function purgeTenantData(db: Database, tenantId: string, options: { keepCopy?: boolean } = {}): Promise<void> {
  const n = PURGE_CHUNK_ROWS;
  await purgeInChunks(
    db,
    () => sql`DELETE FROM memberships WHERE tenant_id = ${tenantId} AND (group_id, user_id) IN
      (SELECT group_id, user_id FROM memberships WHERE tenant_id = ${tenantId} LIMIT ${n})`,
  );
  await purgeInChunks(
    db,
    () => sql`DELETE FROM licences WHERE tenant_id = ${tenantId} AND user_id IN
      (SELECT user_id FROM licences WHERE tenant_id = ${tenantId} LIMIT ${n})`,
  );
  await purgeInChunks(
    db,
    () => sql`DELETE FROM users WHERE tenant_id = ${tenantId} AND id IN
      (SELECT id FROM users WHERE tenant_id = ${tenantId} LIMIT ${n})`,
  );
  await purgeInChunks(
    db,
    () => sql`DELETE FROM groups WHERE tenant_id = ${tenantId} AND id IN
      (SELECT id FROM groups WHERE tenant_id = ${tenantId} LIMIT ${n})`,
  );
  // Its change feed too: events carry the tenant's personal data, and a tenant id taken again must start clean.
  await db.run(sql`INSERT INTO event_feed (id, seq_floor) VALUES (1, COALESCE((SELECT max(seq) FROM events), 0))
    ON CONFLICT (id) DO UPDATE SET seq_floor = max(seq_floor, excluded.seq_floor)`);
  await purgeInChunks(
    db,
    () => sql`DELETE FROM events WHERE seq IN (SELECT seq FROM events WHERE tenant_id = ${tenantId} ORDER BY tenant_seq LIMIT ${n})`,
  );
  // Its provisioning log: a tenant id taken again must not see the old tenant's requests. No entry is
  // written once deleted_at is set (storage/request-log.ts), so none can come after this.
  await purgeInChunks(
    db,
    () => sql`DELETE FROM request_log WHERE tenant_id = ${tenantId} AND (hour, resource_id, at, request_id) IN
      (SELECT hour, resource_id, at, request_id FROM request_log WHERE tenant_id = ${tenantId} LIMIT ${n})`,
  );
  if (options.keepCopy) await db.delete(tenantStats).where(eq(tenantStats.tenantId, tenantId));
  else await db.batch([db.delete(tenantStats).where(eq(tenantStats.tenantId, tenantId)), db.delete(tenants).where(eq(tenants.id, tenantId))]);
}

/**
 * What a data shard's copy of the tenant says: "live" (SCIM may serve it
 * here), "moved" (a move switched it to another shard: this is the old copy)
 * or "gone" (unknown here, or deleted). One primary-key read of `tenants`
 * (1 row). KV keeps a deleted tenant's tokens until the purge has deleted
 * them (and a remote location's cached copy up to a minute longer), so token
 * checks alone do not tell.
 */
export type TenantStateOnShard = "live" | "moved" | "gone";

export async function tenantStateOnShard(d1: D1Database, tenantId: string): Promise<TenantStateOnShard> {
  const row = await d1
    .prepare(`SELECT deleted_at IS NULL AS live, moved_to FROM tenants WHERE id = ?1`)
    .bind(tenantId)
    .first<{ live: number; moved_to: string | null }>();
  if (!row || !row.live) return "gone";
  return row.moved_to === null ? "live" : "moved";
}

/** The data shard of a tenant, from the control database (undefined: no such tenant). 1 row read. */
export async function shardOfTenant(control: D1Database, tenantId: string): Promise<string | undefined> {
  const row = await control.prepare(`SELECT shard FROM tenants WHERE id = ?1`).bind(tenantId).first<{ shard: string }>();
  return row?.shard;
}
