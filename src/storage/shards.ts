/**
 * Data shards (docs/sharding.md): which D1 databases hold tenants' data, and
 * opening one of them.
 *
 * `DB` is the control database — tenants (with the shard each lives on),
 * token metadata, OAuth clients, webhooks, setup links, console sessions,
 * tenant moves. `DATA_SHARDS` names the D1 bindings that hold tenants'
 * users, groups, memberships, licences, events and provisioning log,
 * comma-separated; by default `"DB"` alone, so one database does both jobs.
 *
 * A shard is used only once its schema is current: every binding is checked
 * against the newest migration this build knows, once per isolate (and again
 * every SCHEMA_RECHECK_MS while it is behind). A shard that is behind is
 * answered 503 with a log line naming it, never half-used.
 */
import journal from "../../migrations/meta/_journal.json";
import { D1Meter } from "./d1-meter.js";
import { dbFor, type RequestDatabase } from "./database.js";

/** The control database's binding, and the only data shard by default. */
export const CONTROL_BINDING = "DB";
/** A binding name as wrangler.toml accepts it. */
const BINDING_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
/** How long an isolate trusts a "behind" answer before asking the shard again. */
export const SCHEMA_RECHECK_MS = 10_000;

/** The newest migration of this build, as D1 records it in `d1_migrations.name`. */
export const LATEST_MIGRATION = `${journal.entries[journal.entries.length - 1]!.tag}.sql`;

export interface ShardEnv {
  DB: D1Database;
  DATA_SHARDS?: string;
}

/** A shard cannot be used: not a D1 binding of this worker, or its schema is behind. */
export class ShardUnavailable extends Error {
  constructor(
    readonly shard: string,
    readonly reason: "unknown" | "behind",
    detail: string,
  ) {
    super(detail);
    this.name = "ShardUnavailable";
  }
}

/** The data shards, in DATA_SHARDS order (the tie-break of placement). */
export function shardNames(env: ShardEnv): string[] {
  const names = (env.DATA_SHARDS ?? CONTROL_BINDING)
    .split(",")
    .map((n) => n.trim())
    .filter((n) => n.length > 0);
  return names.length > 0 ? [...new Set(names)] : [CONTROL_BINDING];
}

export function isShard(env: ShardEnv, name: string): boolean {
  return shardNames(env).includes(name);
}

/** Tenants can move (and writes must check for a move) only with more than one shard. */
export function movable(env: ShardEnv): boolean {
  return shardNames(env).length > 1;
}

/** The D1 binding named `name`, unmetered (work off a request's meter); ShardUnavailable("unknown") when there is none. */
export function shardBinding(env: ShardEnv, name: string): D1Database {
  const value = BINDING_NAME.test(name) ? (env as unknown as Record<string, unknown>)[name] : undefined;
  if (typeof value !== "object" || value === null || typeof (value as D1Database).prepare !== "function") {
    throw new ShardUnavailable(name, "unknown", `"${name}" is not a D1 binding of this worker (DATA_SHARDS, wrangler.toml).`);
  }
  return value as D1Database;
}

const schemaState = new Map<string, { current: boolean; checkedAt: number }>();

/** The newest migration applied to a database, or undefined when it has none. */
export async function appliedMigration(d1: D1Database): Promise<string | undefined> {
  try {
    const row = await d1.prepare(`SELECT name FROM d1_migrations ORDER BY id DESC LIMIT 1`).first<{ name: string }>();
    return row?.name;
  } catch {
    // No d1_migrations table: never migrated.
    return undefined;
  }
}

/**
 * Throws ShardUnavailable("behind") unless the binding's newest applied
 * migration is this build's newest (or later: migrations are additive, so a
 * database ahead of the code is fine). Off the request's meter.
 */
export async function assertSchemaCurrent(env: ShardEnv, name: string, now: number = Date.now()): Promise<void> {
  const known = schemaState.get(name);
  if (known?.current) return;
  if (known && now - known.checkedAt < SCHEMA_RECHECK_MS) throw behind(name, undefined);
  const applied = await appliedMigration(shardBinding(env, name));
  const current = applied !== undefined && applied >= LATEST_MIGRATION;
  schemaState.set(name, { current, checkedAt: now });
  if (!current) throw behind(name, applied);
}

function behind(name: string, applied: string | undefined): ShardUnavailable {
  return new ShardUnavailable(
    name,
    "behind",
    `D1 database ${name} has migrations up to ${applied ?? "none"}; this build needs ${LATEST_MIGRATION}. Run the migrations on every shard (README, "Deploy").`,
  );
}

/** Forgets what this isolate knows of shard schemas (tests that migrate a shard while the worker runs). */
export function forgetSchemaState(): void {
  schemaState.clear();
}

/** A data shard, schema checked, metered on `meter` under its own binding name. */
export async function openShard(env: ShardEnv, name: string, meter: D1Meter = new D1Meter()): Promise<RequestDatabase> {
  if (!isShard(env, name)) throw new ShardUnavailable(name, "unknown", `"${name}" is not listed in DATA_SHARDS.`);
  const binding = shardBinding(env, name);
  await assertSchemaCurrent(env, name);
  return dbFor(binding, meter, name, movable(env));
}

/** The control database, schema checked. */
export async function openControl(env: ShardEnv, meter: D1Meter = new D1Meter()): Promise<RequestDatabase> {
  await assertSchemaCurrent(env, CONTROL_BINDING);
  return dbFor(env.DB, meter, CONTROL_BINDING, movable(env));
}

/** Every data shard, in DATA_SHARDS order (scheduled work and all-tenants reads). */
export async function openShards(env: ShardEnv, meter: D1Meter = new D1Meter()): Promise<RequestDatabase[]> {
  return Promise.all(shardNames(env).map((name) => openShard(env, name, meter)));
}

/**
 * Where a new tenant goes: the shard with the fewest live tenants, the
 * first in DATA_SHARDS order on a tie (docs/sharding.md, "Placing tenants").
 * Tenants differ in size; a vendor places a large one explicitly
 * (`"shard"` on POST /admin/tenants) or moves it later.
 */
export function leastLoaded(names: string[], tenantsPerShard: Map<string, number>): string {
  let best = names[0] ?? CONTROL_BINDING;
  for (const name of names) if ((tenantsPerShard.get(name) ?? 0) < (tenantsPerShard.get(best) ?? 0)) best = name;
  return best;
}
