/**
 * cleaning: the old copy's data goes, once no SCIM request can be routed
 * to it any more.
 *
 * 1. settle: nothing until KV_SETTLE_MS after the switch (KV serves a value
 *    cached at a location for up to 60 s);
 * 2. tokens: a second pass over the tenant's KV records — a token issued
 *    while the switch ran may have been written with the old shard;
 * 3. log: provisioning log entries the old copy received while the tenant
 *    moved (reads keep logging, 503s of stale routes too) copied to the new
 *    copy, from the hour before the move began;
 * 4. memberships, licences, users, groups, request_log in bounded chunks,
 *    then the counters.
 *
 * The old copy keeps its `tenants` row (`moved_to`: stale routes get 503,
 * not 401) and its events until retention: the all-tenants feed's cursors
 * hold positions on that shard, and the copies on the new shard stay out of
 * that feed (docs/sharding.md), so every event is delivered exactly once.
 */
import { deleteChunk, deleteTenantStats, keyOf, readCopyPage, writeLogCatchUp, type DeletedTable } from "../storage/tenant-copy.js";
import { rewriteTokenShard } from "../storage/tokens.js";
import { catchUpFromHour, fitPage, KV_SETTLE_MS, progressAt, stepAfter } from "./plan.js";
import type { MoveRun, StepOutcome } from "./run.js";

export async function cleaningStep(run: MoveRun): Promise<StepOutcome> {
  const { move } = run;
  const step = run.progress.step;
  const next = stepAfter("cleaning", step);
  const saved = (ok: boolean): StepOutcome => (ok ? "advanced" : "lost");
  switch (step) {
    case "settle":
      if (run.clock() < (move.switchedAt ?? 0) + KV_SETTLE_MS) return "waiting";
      return saved(await run.save({ progress: progressAt(run.progress, next.step) }));
    case "tokens": {
      const cursor = await rewriteTokenShard(run.env.TOKENS, run.tenantId, move.toShard, run.progress.cursor);
      return saved(await run.save({ progress: cursor !== undefined ? { ...progressAt(run.progress, "tokens"), cursor } : progressAt(run.progress, next.step) }));
    }
    case "log": {
      const [source, target] = await Promise.all([run.source(), run.target()]);
      const limit = run.budget.pageRows;
      const rows = await readCopyPage(source.d1, "request_log", run.tenantId, { after: run.progress.after, limit, hourFrom: catchUpFromHour(move.startedAt) });
      const page = fitPage(rows);
      await writeLogCatchUp(target.d1, run.tenantId, page);
      const done = rows.length < limit && page.length === rows.length;
      const progress = done ? progressAt(run.progress, next.step) : { ...progressAt(run.progress, "log"), after: keyOf("request_log", page[page.length - 1]!) };
      return saved(await run.save({ progress, rowsCopied: page.length }));
    }
    case "tenant_stats":
      await deleteTenantStats((await run.source()).d1, run.tenantId);
      return saved(await run.save({ state: next.state, progress: progressAt(run.progress, undefined), finishedAt: run.clock(), release: true }));
    default: {
      const deleted = await deleteChunk((await run.source()).d1, step as DeletedTable, run.tenantId, run.budget.pageRows);
      return saved(await run.save({ progress: progressAt(run.progress, deleted < run.budget.pageRows ? next.step : step) }));
    }
  }
}
