/**
 * switching: the tenant's routing changes, in an order where every moment
 * is safe and every step can run again:
 *
 * 1. open-target: the target's copy takes writes (nobody is routed there
 *    yet) and its counters carry on where the source's retention pruned to;
 * 2. control: the control database's `tenants.shard` names the target (admin
 *    reads, new tokens) — in one batch with the move's own row, guarded by
 *    the lease (D1 runs a batch as one transaction);
 * 3. source: the source's copy becomes the old copy (`moved_to`): a SCIM
 *    request still routed there, read or write, gets 503 with Retry-After
 *    (middleware/live-tenant) instead of data that no longer changes;
 * 4. tokens: every KV token record of the tenant names the target, a KV
 *    list page per unit of work, the cursor saved between pages.
 *
 * `switched_at` is the wall time the last KV record was rewritten: KV may
 * serve the old record at a location for up to 60 s after it (cleaning waits).
 */
import { markMovedAway, openTargetCopy, readTenantStatsRow } from "../storage/tenant-copy.js";
import { rewriteTokenShard } from "../storage/tokens.js";
import { progressAt, stepAfter } from "./plan.js";
import type { MoveRun, StepOutcome } from "./run.js";

export async function switchingStep(run: MoveRun): Promise<StepOutcome> {
  const { move } = run;
  const step = run.progress.step;
  const next = stepAfter("switching", step);
  const saved = (ok: boolean): StepOutcome => (ok ? "advanced" : "lost");
  switch (step) {
    case "open-target": {
      const [source, target] = await Promise.all([run.source(), run.target()]);
      const stats = await readTenantStatsRow(source.d1, run.tenantId);
      await openTargetCopy(target.d1, run.tenantId, run.fence, Number(stats?.events_pruned_through ?? 0));
      return saved(await run.save({ progress: progressAt(run.progress, next.step) }));
    }
    case "control":
      return saved(await run.save({ progress: progressAt(run.progress, next.step), switchShardTo: move.toShard }));
    case "source": {
      await markMovedAway((await run.source()).d1, run.tenantId, move.toShard, run.clock());
      // This isolate forgets what it knew of the tenant's copies; others re-read within LIVENESS_TTL_MS.
      run.onSwitched?.(run.tenantId);
      return saved(await run.save({ progress: progressAt(run.progress, next.step) }));
    }
    case "tokens": {
      const cursor = await rewriteTokenShard(run.env.TOKENS, run.tenantId, move.toShard, run.progress.cursor);
      if (cursor !== undefined) return saved(await run.save({ progress: { ...progressAt(run.progress, "tokens"), cursor } }));
      return saved(await run.save({ state: next.state, progress: progressAt(run.progress, next.step), switchedAt: run.clock() }));
    }
    default:
      throw new Error(`Unknown switching step ${step}.`);
  }
}
