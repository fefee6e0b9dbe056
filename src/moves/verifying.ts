/**
 * verifying: every table of the tenant compared between source and target,
 * a page at a time — the same key range read on both, its rows' SHA-256
 * and count compared, the table's checksum chained (checksum.ts) — then the
 * copy rows' policy columns and the counters. Any difference fails the move:
 * it rolls back, and the tenant stays on the source.
 *
 * What is compared: users, groups, memberships and licences whole (the
 * source's writes are paused, so they are final); the events the source
 * still has (retention may prune its oldest meanwhile: the target may hold
 * more below, never other ones in the range); the provisioning log's hours
 * that were settled before the move began and are two hours clear of
 * retention (reads keep logging on the source until the switch, and the
 * clean-up copies those entries again).
 */
import { retentionDays } from "../feed/retention.js";
import {
  COMPARED_STATS_COLUMNS,
  COMPARED_TENANT_COLUMNS,
  readComparedRange,
  readTenantCopy,
  readTenantStatsRow,
  type CopyTable,
  type Key,
} from "../storage/tenant-copy.js";
import { extendCheck, pageDigest } from "./checksum.js";
import { comparedLogHours, progressAt, stepAfter } from "./plan.js";
import { failMove, type MoveRun, type StepOutcome } from "./run.js";

export async function verifyingStep(run: MoveRun): Promise<StepOutcome> {
  const step = run.progress.step;
  return step === "tenant" ? verifyTenant(run) : verifyPage(run, step as CopyTable);
}

const keyText = (key: Key | undefined): string => (key ? JSON.stringify(key) : "the start");

async function verifyPage(run: MoveRun, table: CopyTable): Promise<StepOutcome> {
  const { move } = run;
  const [source, target] = await Promise.all([run.source(), run.target()]);
  let progress = run.progress;
  if (table === "request_log" && !progress.logHours) {
    progress = { ...progress, logHours: comparedLogHours(move.startedAt, run.clock(), retentionDays(run.env)) };
  }
  const hours = table === "request_log" && progress.logHours ? { hourFrom: progress.logHours.from, hourBefore: progress.logHours.before } : {};
  const limit = run.budget.pageRows;
  const after = progress.after;
  const mismatch = (what: string) => failMove(run, `Verification failed: ${table} ${what} between ${move.fromShard} and ${move.toShard} (after ${keyText(after)}).`);

  const src = await readComparedRange(source.d1, source.binding, table, run.tenantId, { after, limit, ...hours });
  const last = src.keys[src.keys.length - 1];
  if (last) {
    // The source's range on the target: from its first key for events (the target may keep older
    // ones of its own, from before the tenant left it), from the start for every other table.
    const range = table === "events" && !after ? { from: src.keys[0] } : { after };
    const tgt = await readComparedRange(target.d1, target.binding, table, run.tenantId, { ...range, through: last, limit: src.rows.length + 1, ...hours });
    const [a, b] = await Promise.all([pageDigest(src.rows), pageDigest(tgt.rows)]);
    if (tgt.rows.length !== src.rows.length) return mismatch(`count ${src.rows.length} rows against ${tgt.rows.length}`);
    if (a !== b) return mismatch(`differ in a page of ${src.rows.length} rows`);
    progress = { ...progress, checks: { ...progress.checks, [table]: await extendCheck(progress.checks?.[table], src.rows.length, a) } };
    if (src.rows.length === limit) return (await run.save({ progress: { ...progress, after: last } })) ? "advanced" : "lost";
  }
  // The source's last page: the target must hold nothing after it (for events only once the source
  // had one; an old copy's own events lie below the source's range).
  if (last || after || table !== "events") {
    const extra = await readComparedRange(target.d1, target.binding, table, run.tenantId, { after: last ?? after, limit: 1, ...hours });
    if (extra.rows.length > 0) return mismatch(`has rows on ${move.toShard} only`);
  }
  const next = stepAfter("verifying", table);
  const checks = { ...progress.checks, [table]: progress.checks?.[table] ?? { rows: 0, sha256: "" } };
  return (await run.save({ progress: { ...progressAt({ ...progress, checks }, next.step, { checks: true }) } })) ? "advanced" : "lost";
}

async function verifyTenant(run: MoveRun): Promise<StepOutcome> {
  const { move } = run;
  const [source, target] = await Promise.all([run.source(), run.target()]);
  const [srcRow, tgtRow, srcStats, tgtStats] = await Promise.all([
    readTenantCopy(source.d1, run.tenantId),
    readTenantCopy(target.d1, run.tenantId),
    readTenantStatsRow(source.d1, run.tenantId),
    readTenantStatsRow(target.d1, run.tenantId),
  ]);
  // Until the switch the source must not take a write: what was verified is what moves.
  if (!srcRow || srcRow.writes_paused_at === null || srcRow.moved_to !== null) {
    return failMove(run, `Verification failed: the tenant's writes on ${move.fromShard} are not paused.`);
  }
  if (!tgtRow || tgtRow.writes_paused_at !== run.fence || tgtRow.moved_to !== null) return failMove(run, `Verification failed: the copy on ${move.toShard} is not this move's.`);
  const differing = COMPARED_TENANT_COLUMNS.filter((c) => srcRow[c] !== tgtRow[c]);
  if (differing.length > 0) return failMove(run, `Verification failed: the tenant's ${differing.join(", ")} differ between ${move.fromShard} and ${move.toShard}.`);
  const counters = COMPARED_STATS_COLUMNS.filter((c) => (srcStats?.[c] ?? null) !== (tgtStats?.[c] ?? null));
  if (counters.length > 0) return failMove(run, `Verification failed: the tenant's counters ${counters.join(", ")} differ between ${move.fromShard} and ${move.toShard}.`);
  const next = stepAfter("verifying", "tenant");
  const verification = JSON.stringify(run.progress.checks ?? {});
  return (await run.save({ state: next.state, progress: progressAt(run.progress, next.step), verification })) ? "advanced" : "lost";
}
