/**
 * The shards project's three local data shards (vitest.config.ts: DATA_SHARDS
 * = "DB,DB_2,DB_3"), their D1 bindings, and what one holds of a tenant, read
 * straight from D1.
 */
import { env } from "cloudflare:workers";

export const SHARDS = ["DB", "DB_2", "DB_3"] as const;
export type Shard = (typeof SHARDS)[number];

export const binding = (name: string): D1Database => (env as unknown as Record<string, D1Database>)[name]!;

/** The tenant's rows of `table` on a shard. */
export async function countOn(shard: string, table: string, tenantId: string): Promise<number> {
  const column = table === "tenants" ? "id" : "tenant_id";
  return (await binding(shard).prepare(`SELECT count(*) AS n FROM ${table} WHERE ${column} = ?1`).bind(tenantId).first<{ n: number }>())!.n;
}
