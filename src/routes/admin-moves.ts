/**
 * Tenant moves in the admin API (docs/sharding.md, "Moving a tenant").
 */
import type { Database } from "../storage/database.js";
import { activeMove } from "../storage/tenant-moves.js";
import { conflict } from "./admin-request.js";

/** 409 while a move is under way: a policy change or a delete must not race the copy. */
export async function refuseWhileMoving(db: Database, tenantId: string, what: string): Promise<void> {
  const move = await activeMove(db, tenantId);
  if (move) throw conflict(`Tenant "${tenantId}" is moving to ${move.toShard} (${move.state}): abort or finish the move before you ${what}.`);
}
