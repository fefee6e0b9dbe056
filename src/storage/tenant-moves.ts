/**
 * Tenant moves between data shards (docs/sharding.md, "Moving a tenant"):
 * the `tenant_moves` row of the control database, one per tenant (its
 * latest move).
 */
import { eq } from "drizzle-orm";
import type { Database } from "./database.js";
import { tenantMoves } from "./schema.js";

/** States in which the tenant's writes are paused and its routing may change. */
export const ACTIVE_MOVE_STATES = ["copying", "verifying", "switching", "cleaning"] as const;
export type MoveState = (typeof ACTIVE_MOVE_STATES)[number] | "done" | "failed" | "aborted";

export type TenantMoveRow = typeof tenantMoves.$inferSelect;

export async function getMove(db: Database, tenantId: string): Promise<TenantMoveRow | undefined> {
  const [row] = await db.select().from(tenantMoves).where(eq(tenantMoves.tenantId, tenantId));
  return row;
}

/** The tenant's move if one is under way (not done, failed or aborted). */
export async function activeMove(db: Database, tenantId: string): Promise<TenantMoveRow | undefined> {
  const row = await getMove(db, tenantId);
  return row && (ACTIVE_MOVE_STATES as readonly string[]).includes(row.state) ? row : undefined;
}
