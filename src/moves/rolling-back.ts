/**
 * rolling_back: an abort, or a failure before the switch. The source took
 * writes again when the roll-back began (the tenant never left it); here the
 * target's partial copy goes:
 *
 * 1. fence: the target's copy stops being this move's, so a page still in
 *    flight from a run that lost its lease fails as a whole;
 * 2. memberships, licences, users, groups, request_log in bounded chunks
 *    (the target held none of the tenant's: it never lived there since);
 * 3. events: only those the move copied (numbered above the target's last
 *    seq when the move began); an old copy's own events stay;
 * 4. finish: the counters go, the copy row is put back as it was (removed,
 *    or an old copy again), the source's writes resumed once more (a start
 *    racing the abort may have paused them after), and the move ends as
 *    `aborted` or `failed`.
 */
import { deleteChunk, deleteCopiedEvents, dropTargetCopy, fenceOffTargetCopy, resumeWrites, type DeletedTable } from "../storage/tenant-copy.js";
import { progressAt, stepAfter } from "./plan.js";
import type { MoveRun, StepOutcome } from "./run.js";

export async function rollingBackStep(run: MoveRun): Promise<StepOutcome> {
  const { move } = run;
  const step = run.progress.step;
  const outcome = run.progress.outcome ?? "aborted";
  const next = stepAfter("rolling_back", step, outcome);
  const saved = (ok: boolean): StepOutcome => (ok ? "advanced" : "lost");
  const target = await run.target();
  switch (step) {
    case "fence":
      await fenceOffTargetCopy(target.d1, run.tenantId, run.fence, move.fromShard);
      return saved(await run.save({ progress: progressAt(run.progress, next.step) }));
    case "events": {
      const copied = run.progress.target;
      const last = copied ? await deleteCopiedEvents(target.d1, run.tenantId, Number(run.progress.after?.[0] ?? 0), copied.seqFloor, run.budget.pageRows) : undefined;
      return saved(await run.save({ progress: last === undefined ? progressAt(run.progress, next.step) : { ...progressAt(run.progress, "events"), after: [last] } }));
    }
    case "finish":
      await dropTargetCopy(target.d1, run.tenantId, run.fence, run.progress.target?.prior, run.targetIsControl);
      await resumeWrites((await run.source()).d1, run.tenantId);
      return saved(await run.save({ state: next.state, progress: progressAt(run.progress, undefined), finishedAt: run.clock(), release: true }));
    default: {
      const deleted = await deleteChunk(target.d1, step as DeletedTable, run.tenantId, run.budget.pageRows);
      return saved(await run.save({ progress: progressAt(run.progress, deleted < run.budget.pageRows ? next.step : step) }));
    }
  }
}
