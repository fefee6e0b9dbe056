/**
 * Tenant moves between data shards (docs/sharding.md, "Moving a tenant"):
 * the `tenant_moves` row of the control database, one per tenant (its
 * latest move), and the lease that lets one run at a time advance it.
 *
 * Every change a run makes to a move is conditional on the run's lease and
 * on the state it read (`UPDATE … WHERE lease_owner = ? AND state = ?`): a
 * run that lost its lease, or whose move was aborted meanwhile, changes
 * nothing and stops. D1 runs one query at a time per database, so of two
 * such updates exactly one matches.
 */
import { eq } from "drizzle-orm";
import type { Database } from "./database.js";
import { rowMapper } from "./rows.js";
import { tenantMoves } from "./schema.js";
import { isLostRace, lostRaceGuard } from "./write-guard.js";

/**
 * States of a move under way: a new move, a policy change or a delete of the
 * tenant waits for it to end. Writes are paused on the source from
 * `copying` until the switch; after a roll-back began (`rolling_back`) they
 * are not.
 */
export const ACTIVE_MOVE_STATES = ["copying", "verifying", "switching", "cleaning", "rolling_back"] as const;
export type ActiveMoveState = (typeof ACTIVE_MOVE_STATES)[number];
export const MOVE_STATES = [...ACTIVE_MOVE_STATES, "done", "failed", "aborted"] as const;
export type MoveState = (typeof MOVE_STATES)[number];
/** Before the switch: the tenant still lives on the source, so the move can be rolled back. */
export const ABORTABLE_MOVE_STATES = ["copying", "verifying"] as const;

export type TenantMoveRow = typeof tenantMoves.$inferSelect;

const ACTIVE_SQL = ACTIVE_MOVE_STATES.map((s) => `'${s}'`).join(", ");
const ABORTABLE_SQL = ABORTABLE_MOVE_STATES.map((s) => `'${s}'`).join(", ");

export function isActiveMoveState(state: string): state is ActiveMoveState {
  return (ACTIVE_MOVE_STATES as readonly string[]).includes(state);
}

export async function getMove(db: Database, tenantId: string): Promise<TenantMoveRow | undefined> {
  const [row] = await db.select().from(tenantMoves).where(eq(tenantMoves.tenantId, tenantId));
  return row;
}

/** The tenant's move if one is under way (not done, failed or aborted). */
export async function activeMove(db: Database, tenantId: string): Promise<TenantMoveRow | undefined> {
  const row = await getMove(db, tenantId);
  return row && isActiveMoveState(row.state) ? row : undefined;
}

/** A D1 row of tenant_moves (snake_case) as the schema types it. */
const moveFromRow = rowMapper(tenantMoves);

/**
 * Records a new move (state `copying`), replacing the tenant's previous one
 * only if that one has ended: of two concurrent starts, one gets the row and
 * the other undefined. One statement.
 */
export async function insertMove(
  d1: D1Database,
  move: { tenantId: string; id: string; from: string; to: string; now: number },
): Promise<TenantMoveRow | undefined> {
  const row = await d1
    .prepare(
      `INSERT INTO tenant_moves (tenant_id, id, from_shard, to_shard, state, progress, rows_copied, started_at, updated_at)
       VALUES (?1, ?2, ?3, ?4, 'copying', '{}', 0, ?5, ?5)
       ON CONFLICT (tenant_id) DO UPDATE SET id = excluded.id, from_shard = excluded.from_shard, to_shard = excluded.to_shard,
         state = 'copying', progress = '{}', verification = NULL, error = NULL, rows_copied = 0, started_at = excluded.started_at,
         updated_at = excluded.updated_at, switched_at = NULL, finished_at = NULL, lease_owner = NULL, lease_until = NULL
       WHERE tenant_moves.state NOT IN (${ACTIVE_SQL})
       RETURNING *`,
    )
    .bind(move.tenantId, move.id, move.from, move.to, move.now)
    .first<Record<string, unknown>>();
  return row ? moveFromRow(row) : undefined;
}

/**
 * Moves a run may advance: under way and not leased by a live run, oldest
 * update first. The table holds one row per tenant that ever moved; the
 * read goes through tenant_moves_state_idx, so it reads the moves under way
 * only — nothing at all on the cron's runs when none is.
 */
export async function movesToAdvance(d1: D1Database, now: number, limit: number): Promise<TenantMoveRow[]> {
  const { results } = await d1
    .prepare(
      `SELECT * FROM tenant_moves WHERE state IN (${ACTIVE_SQL}) AND (lease_until IS NULL OR lease_until <= ?1) ORDER BY updated_at LIMIT ?2`,
    )
    .bind(now, limit)
    .all<Record<string, unknown>>();
  return results.map(moveFromRow);
}

/** Takes the lease of a move still in `state` and free at `now`; the move as claimed, or undefined when another run has it. */
export async function claimMove(d1: D1Database, tenantId: string, state: string, owner: string, now: number, leaseUntil: number): Promise<TenantMoveRow | undefined> {
  const row = await d1
    .prepare(
      `UPDATE tenant_moves SET lease_owner = ?3, lease_until = ?5
       WHERE tenant_id = ?1 AND state = ?2 AND (lease_until IS NULL OR lease_until <= ?4) RETURNING *`,
    )
    .bind(tenantId, state, owner, now, leaseUntil)
    .first<Record<string, unknown>>();
  return row ? moveFromRow(row) : undefined;
}

/** What a run records about its move; fields left undefined keep their value. */
export interface MoveChange {
  state?: MoveState;
  progress?: string;
  verification?: string | null;
  error?: string | null;
  rowsCopied?: number;
  switchedAt?: number | null;
  finishedAt?: number | null;
  /** Give the lease up with this change (a run's last word on the move). */
  release?: boolean;
}

function changeStatement(d1: D1Database, tenantId: string, owner: string, expected: string, change: MoveChange, now: number): D1PreparedStatement {
  const sets: string[] = ["updated_at = ?4"];
  const params: unknown[] = [tenantId, owner, expected, now];
  const set = (column: string, value: unknown) => {
    params.push(value);
    sets.push(`${column} = ?${params.length}`);
  };
  if (change.state !== undefined) set("state", change.state);
  if (change.progress !== undefined) set("progress", change.progress);
  if (change.verification !== undefined) set("verification", change.verification);
  if (change.error !== undefined) set("error", change.error);
  if (change.rowsCopied !== undefined) set("rows_copied", change.rowsCopied);
  if (change.switchedAt !== undefined) set("switched_at", change.switchedAt);
  if (change.finishedAt !== undefined) set("finished_at", change.finishedAt);
  if (change.release) sets.push("lease_owner = NULL", "lease_until = NULL");
  return d1.prepare(`UPDATE tenant_moves SET ${sets.join(", ")} WHERE tenant_id = ?1 AND lease_owner = ?2 AND state = ?3`).bind(...params);
}

/** Records a run's progress on a move it holds in `expected` state; false when the lease or the state was lost (the run stops). */
export async function saveMove(d1: D1Database, tenantId: string, owner: string, expected: string, change: MoveChange, now: number): Promise<boolean> {
  const result = await changeStatement(d1, tenantId, owner, expected, change, now).run();
  return (result.meta.changes ?? 0) > 0;
}

/**
 * The switch on the control database: the tenant's `shard` names the target
 * and the move records it, in one batch (one transaction) that the lease
 * guards — a run that lost its lease switches nothing (write-guard.ts).
 */
export async function switchControlShard(d1: D1Database, tenantId: string, to: string, owner: string, change: MoveChange, now: number): Promise<boolean> {
  try {
    await d1.batch([
      changeStatement(d1, tenantId, owner, "switching", change, now),
      lostRaceGuard(d1, `tenant-move:${tenantId}`),
      d1.prepare(`UPDATE tenants SET shard = ?2 WHERE id = ?1 AND deleted_at IS NULL`).bind(tenantId, to),
    ]);
    return true;
  } catch (err) {
    if (isLostRace(err)) return false;
    throw err;
  }
}

/** Gives the lease up (the end of a run's work on the move), whatever its state. */
export async function releaseMove(d1: D1Database, tenantId: string, owner: string): Promise<void> {
  await d1.prepare(`UPDATE tenant_moves SET lease_owner = NULL, lease_until = NULL WHERE tenant_id = ?1 AND lease_owner = ?2`).bind(tenantId, owner).run();
}

/**
 * Turns a move that has not switched yet into a roll-back (`rolling_back`,
 * ending as `outcome`), whoever holds its lease: a run still copying loses
 * it at its next save and stops, and its page in flight fails the target's
 * fence (storage/tenant-copy.ts). The progress is rewritten in SQL from the
 * row as it is at that moment, so what copying found of the target (its
 * `target` entry, which the roll-back restores) is never lost to a stale
 * read. The caller (`owner`) gets the lease only if it is free. Undefined
 * when the move is past the switch or over.
 */
export async function beginRollback(
  d1: D1Database,
  tenantId: string,
  rollback: { outcome: "aborted" | "failed"; error: string | null; owner: string; now: number; leaseUntil: number },
): Promise<TenantMoveRow | undefined> {
  const free = `(lease_until IS NULL OR lease_until <= ?5 OR lease_owner = ?4)`;
  const row = await d1
    .prepare(
      `UPDATE tenant_moves SET state = 'rolling_back',
         progress = json_set(json_remove(progress, '$.after', '$.cursor', '$.checks', '$.logHours', '$.errors'), '$.step', 'fence', '$.outcome', ?2),
         error = ?3, updated_at = ?5,
         lease_owner = CASE WHEN ${free} THEN ?4 ELSE lease_owner END,
         lease_until = CASE WHEN ${free} THEN ?6 ELSE lease_until END
       WHERE tenant_id = ?1 AND state IN (${ABORTABLE_SQL}) RETURNING *`,
    )
    .bind(tenantId, rollback.outcome, rollback.error, rollback.owner, rollback.now, rollback.leaseUntil)
    .first<Record<string, unknown>>();
  return row ? moveFromRow(row) : undefined;
}

/**
 * A move whose start could not pause the source's writes ends at once as
 * `failed`: nothing was copied yet. Only that move (its id), only while it
 * is still at its start.
 */
export async function failUnstartedMove(d1: D1Database, tenantId: string, moveId: string, error: string, now: number): Promise<void> {
  await d1
    .prepare(`UPDATE tenant_moves SET state = 'failed', error = ?3, updated_at = ?4, finished_at = ?4 WHERE tenant_id = ?1 AND id = ?2 AND state = 'copying'`)
    .bind(tenantId, moveId, error, now)
    .run();
}
