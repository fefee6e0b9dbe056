/**
 * Starting and aborting a move: what the admin API's routes call
 * (src/routes/admin-moves.ts). The advancer does the rest, on the scheduled
 * runs (advancer.ts).
 */
import { log } from "../log.js";
import type { RequestDatabase } from "../storage/database.js";
import { newResourceId } from "../storage/ids.js";
import { openShard } from "../storage/shards.js";
import { pauseWrites, resumeWrites } from "../storage/tenant-copy.js";
import { beginRollback, failUnstartedMove, getMove, insertMove, type TenantMoveRow } from "../storage/tenant-moves.js";
import { advanceHeldMove, leaseUntil, newBudget } from "./advancer.js";
import { DEFAULT_MOVE_BUDGET, type MoveBudget } from "./plan.js";
import type { MoveEnv } from "./run.js";

/** A move could not start; `detail` says why (the route answers 409). */
export class MoveNotStarted extends Error {
  constructor(detail: string) {
    super(detail);
    this.name = "MoveNotStarted";
  }
}

/**
 * Records the move (state `copying`) and pauses the tenant's SCIM writes on
 * its shard: from that commit on, every write batch there is refused (503
 * with Retry-After; storage/write-guard.ts), reads carry on. The record
 * comes first, so two starts cannot both pause and copy; a pause that
 * fails ends the move as `failed` (the advancer also refuses to copy a
 * source whose writes are not paused, plan.ts PAUSE_GRACE_MS).
 */
export async function startMove(
  env: MoveEnv,
  control: RequestDatabase,
  tenant: { id: string; shard: string },
  to: string,
  now: number = Date.now(),
): Promise<TenantMoveRow> {
  // The target must be usable now (listed, schema current: ShardUnavailable, a 503), not five failed runs later.
  await openShard(env, to, control.meter);
  const move = await insertMove(control.d1, { tenantId: tenant.id, id: newResourceId(now), from: tenant.shard, to, now });
  if (!move) throw new MoveNotStarted(`Tenant "${tenant.id}" is already moving: abort or finish that move first.`);
  let paused = false;
  try {
    paused = await pauseWrites((await openShard(env, tenant.shard, control.meter)).d1, tenant.id, move.startedAt);
  } finally {
    if (!paused) await failUnstartedMove(control.d1, tenant.id, move.id, `The tenant's writes on ${tenant.shard} could not be paused.`, Date.now());
  }
  // Its copy there is gone or marked moved: the control row and the shard disagree, and nothing was copied.
  if (!paused) throw new MoveNotStarted(`The tenant's copy on ${tenant.shard} does not take writes: nothing was moved.`);
  log("info", { type: "tenant-move-started", tenant: tenant.id, move: move.id, from: move.fromShard, to: move.toShard });
  return move;
}

export type AbortResult = { kind: "none" } | { kind: "not-abortable"; move: TenantMoveRow } | { kind: "aborting"; move: TenantMoveRow };

/** The work an abort does itself before it answers; the rest is the advancer's. */
export const ABORT_BUDGET: MoveBudget = { ...DEFAULT_MOVE_BUDGET, pagesPerRun: 50, timeBudgetMs: 3_000 };

/**
 * Aborts a move that has not switched: it becomes a roll-back at once
 * (storage/tenant-moves.ts beginRollback), the source takes writes again,
 * and — if no run holds the move — as much of the target's partial copy is
 * deleted here as ABORT_BUDGET allows; the scheduled runs finish the rest.
 * After the switch the tenant lives on the target: it is moved back, not
 * rolled back.
 */
export async function abortMove(
  env: MoveEnv,
  control: RequestDatabase,
  tenantId: string,
  options: { clock?: () => number; budget?: Partial<MoveBudget> } = {},
): Promise<AbortResult> {
  const clock = options.clock ?? Date.now;
  const budget = newBudget({ budget: { ...ABORT_BUDGET, ...options.budget }, clock });
  const owner = `abort:${crypto.randomUUID()}`;
  const now = clock();
  const move = await beginRollback(control.d1, tenantId, { outcome: "aborted", error: null, owner, now, leaseUntil: leaseUntil(now, budget.limits) });
  if (!move) {
    const current = await getMove(control.db, tenantId);
    return current ? { kind: "not-abortable", move: current } : { kind: "none" };
  }
  log("info", { type: "tenant-move-aborted", tenant: tenantId, move: move.id, from: move.fromShard, to: move.toShard });
  await resumeWrites((await openShard(env, move.fromShard, control.meter)).d1, tenantId);
  if (move.leaseOwner === owner) await advanceHeldMove(env, control, move, owner, budget, { clock });
  return { kind: "aborting", move: (await getMove(control.db, tenantId)) ?? move };
}
