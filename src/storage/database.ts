import { drizzle, type DrizzleD1Database } from "drizzle-orm/d1";
import { D1Meter, meteredD1 } from "./d1-meter.js";
import * as schema from "./schema.js";

export type Database = DrizzleD1Database<typeof schema>;

/**
 * One D1 database as a request (or a scheduled run) uses it: Drizzle over
 * the metered binding. Which database — the control database or a tenant's
 * data shard — is chosen in storage/shards.ts (docs/sharding.md).
 */
export interface RequestDatabase {
  db: Database;
  /** The metered binding, for batches whose per-statement meta (changes) we need. */
  d1: D1Database;
  meter: D1Meter;
  /** The D1 binding's name: "DB" (the control database, and the only shard by default) or a data shard's. */
  binding: string;
  /**
   * Whether tenants can move away from this database (more than one data
   * shard): then every SCIM write batch checks that the tenant's writes are
   * not paused here (storage/write-guard.ts). With one shard nothing can
   * move, and the check would be a row read for nothing.
   */
  movable: boolean;
}

export function dbFor(binding: D1Database, meter: D1Meter = new D1Meter(), name = "DB", movable = false): RequestDatabase {
  const d1 = meteredD1(binding, meter, name);
  return { db: drizzle(d1, { schema }), d1, meter, binding: name, movable };
}

export { schema };
