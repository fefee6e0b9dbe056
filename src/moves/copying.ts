/**
 * copying: the target gets the tenant's copy row (writes paused, fenced by
 * the move's start time) and counters, then every table's rows in primary
 * key order, a page per unit of work.
 *
 * Why it is safe to stop anywhere: the source's writes are paused from the
 * move's start (storage/write-guard.ts checks inside every write batch), so
 * its rows do not change; a page is written in one batch (one transaction)
 * before the progress naming its last key is saved, and a page written
 * again after an interruption changes nothing (INSERT OR IGNORE; an event
 * keeps its tenant_seq, unique per tenant). Verification compares it all.
 */
import { CONTROL_BINDING } from "../storage/shards.js";
import {
  keyOf,
  lastEventSeq,
  prepareTargetCopy,
  readCopyPage,
  readTenantCopy,
  readTenantStatsRow,
  writeCopyPage,
  type CopyTable,
} from "../storage/tenant-copy.js";
import { fitPage, PAUSE_GRACE_MS, progressAt, stepAfter } from "./plan.js";
import { failMove, type MoveRun, type StepOutcome } from "./run.js";

export async function copyingStep(run: MoveRun): Promise<StepOutcome> {
  const step = run.progress.step;
  return step === "prepare" ? prepare(run) : copyPage(run, step as CopyTable);
}

async function prepare(run: MoveRun): Promise<StepOutcome> {
  const { move } = run;
  const [source, target] = await Promise.all([run.source(), run.target()]);
  const row = await readTenantCopy(source.d1, run.tenantId);
  if (!row || row.deleted_at !== null || row.moved_to !== null) return failMove(run, `The tenant's copy on ${move.fromShard} is gone or has moved.`);
  if (row.writes_paused_at === null) {
    // The start records the move, then pauses the source: a run may come between the two.
    if (run.clock() - move.startedAt < PAUSE_GRACE_MS) return "waiting";
    return failMove(run, `The tenant's writes on ${move.fromShard} were never paused: the move's start did not finish.`);
  }
  if (!run.progress.target) {
    // What the target holds before the move touches it, saved first: a roll-back puts it back.
    const existing = await readTenantCopy(target.d1, run.tenantId);
    const isControl = target.binding === CONTROL_BINDING;
    if (existing && !isControl && existing.deleted_at === null && existing.moved_to === null && existing.writes_paused_at === null) {
      return failMove(run, `${move.toShard} holds a live copy of the tenant.`);
    }
    const prior = {
      existed: existing !== undefined && existing.moved_to !== null,
      writesPausedAt: (existing?.writes_paused_at as number | null | undefined) ?? null,
      movedTo: (existing?.moved_to as string | null | undefined) ?? null,
    };
    const seqFloor = await lastEventSeq(target.d1);
    return (await run.save({ progress: { ...run.progress, target: { prior, seqFloor } } })) ? "advanced" : "lost";
  }
  const stats = await readTenantStatsRow(source.d1, run.tenantId);
  await prepareTargetCopy(target.d1, { binding: target.binding, isControl: run.targetIsControl }, { row, stats }, run.fence);
  const next = stepAfter("copying", "prepare");
  return (await run.save({ progress: progressAt(run.progress, next.step) })) ? "advanced" : "lost";
}

async function copyPage(run: MoveRun, table: CopyTable): Promise<StepOutcome> {
  const [source, target] = await Promise.all([run.source(), run.target()]);
  const limit = run.budget.pageRows;
  const rows = await readCopyPage(source.d1, table, run.tenantId, { after: run.progress.after, limit });
  const page = fitPage(rows);
  await writeCopyPage(target.d1, table, run.tenantId, page, run.fence, run.move.fromShard);
  const last = page[page.length - 1];
  if (rows.length < limit && page.length === rows.length) {
    const next = stepAfter("copying", table);
    return (await run.save({ state: next.state, progress: progressAt(run.progress, next.step), rowsCopied: page.length })) ? "advanced" : "lost";
  }
  return (await run.save({ progress: { ...progressAt(run.progress, table), after: keyOf(table, last!) }, rowsCopied: page.length })) ? "advanced" : "lost";
}
