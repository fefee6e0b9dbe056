import { drizzle, type DrizzleD1Database } from "drizzle-orm/d1";
import { D1Meter, meteredD1 } from "./d1-meter.js";
import * as schema from "./schema.js";

export type Database = DrizzleD1Database<typeof schema>;

/**
 * The database of one request: Drizzle over the metered D1 binding.
 * `dbFor` is the one place that picks a D1 database, so tenants can later be
 * sharded across databases without touching callers.
 */
export interface RequestDatabase {
  db: Database;
  /** The metered binding, for batches whose per-statement meta (changes) we need. */
  d1: D1Database;
  meter: D1Meter;
}

export function dbFor(binding: D1Database, meter: D1Meter = new D1Meter()): RequestDatabase {
  const d1 = meteredD1(binding, meter);
  return { db: drizzle(d1, { schema }), d1, meter };
}

export { schema };
