/**
 * Provisioning log retention (the Cron Trigger, after the feed's): entries
 * are kept as long as events (EVENT_RETENTION_DAYS, default 30) and deleted
 * an hour at a time once their whole hour is older than that, in bounded
 * pages (PRUNE_PAGE entries per tenant per statement, one batch per round)
 * until done or the time budget is spent; the next run continues. Every data
 * shard prunes its own log, at the same time, with its own budget
 * (docs/sharding.md); a shard that fails does not stop the others, and the
 * run then throws. One JSON log line per run, with each shard's figures and
 * a level ("error" when one could not finish or failed).
 */
import type { Env } from "../env.js";
import { retentionDays, retentionRun } from "../feed/retention.js";
import { log } from "../log.js";
import { onEveryShard } from "../storage/every-shard.js";
import { hourOf, pruneRequestLogPage, tenantsWithRequestsBefore } from "../storage/request-log.js";

const DAY_MS = 86_400_000;
export const PRUNE_PAGE = 1000;
/** Tenants pruned per D1 batch (one round trip). */
const TENANTS_PER_BATCH = 20;
const TIME_BUDGET_MS = 5_000;

export async function pruneRequestLog(
  db: D1Database,
  scheduledTime: number,
  days: number,
  options: { pageSize?: number; budgetMs?: number; clock?: () => number } = {},
): Promise<{ deleted: number; tenants: number; complete: boolean }> {
  const clock = options.clock ?? Date.now;
  const deadline = clock() + (options.budgetMs ?? TIME_BUDGET_MS);
  const pageSize = options.pageSize ?? PRUNE_PAGE;
  // Whole hours only: an hour is deleted once its last millisecond is past retention.
  const cutoffHour = hourOf(scheduledTime - days * DAY_MS);
  let pending = await tenantsWithRequestsBefore(db, cutoffHour);
  const tenants = pending.length;
  let deleted = 0;
  while (pending.length > 0) {
    if (clock() >= deadline) return { deleted, tenants, complete: false };
    const round = pending.slice(0, TENANTS_PER_BATCH);
    const counts = await pruneRequestLogPage(db, round, cutoffHour, pageSize);
    deleted += counts.reduce((a, b) => a + b, 0);
    // A tenant that filled its page may have more: it goes after the others (the others are done).
    pending = [...pending.slice(TENANTS_PER_BATCH), ...round.filter((_, k) => (counts[k] ?? 0) >= pageSize)];
  }
  return { deleted, tenants, complete: true };
}

/** The log keeps entries as long as the feed keeps events. */
export const logRetentionDays = (env: Partial<Env>): number => retentionDays(env);

export async function runRequestLogRetention(env: Env, scheduledTime: number): Promise<void> {
  const days = logRetentionDays(env);
  const run = retentionRun(await onEveryShard(env, (rd) => pruneRequestLog(rd.d1, scheduledTime, days)));
  const values = Object.values(run.shards).filter((v): v is { deleted: number; tenants: number; complete: boolean } => "deleted" in v);
  log(run.level, {
    type: "request-log-retention",
    retentionDays: days,
    deleted: values.reduce((n, v) => n + v.deleted, 0),
    tenants: values.reduce((n, v) => n + v.tenants, 0),
    complete: run.failed.length === 0 && values.every((v) => v.complete),
    shards: run.shards,
  });
  if (run.failed.length > 0) throw new Error(`Provisioning log retention failed on ${run.failed.join(", ")}; see the log line of type request-log-retention.`);
}
