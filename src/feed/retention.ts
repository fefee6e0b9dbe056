/**
 * Event retention (the Cron Trigger): deletes events older than
 * EVENT_RETENTION_DAYS (default 30) in bounded pages until done or the time
 * budget is spent; the next run continues. Every data shard prunes its own
 * feed, at the same time, with its own budget (docs/sharding.md); a shard
 * that fails does not stop the others, and the run then throws. One JSON
 * log line per run, with each shard's figures.
 */
import type { Env } from "../env.js";
import { errorFields, log } from "../log.js";
import { onEveryShard, type ShardOutcome } from "../storage/every-shard.js";
import { pruneEventsPage } from "../storage/events.js";

const DAY_MS = 86_400_000;
export const DEFAULT_RETENTION_DAYS = 30;
export const PRUNE_PAGE = 1000;
const TIME_BUDGET_MS = 5_000;

export function retentionDays(env: Partial<Env>): number {
  const days = Number(env.EVENT_RETENTION_DAYS ?? DEFAULT_RETENTION_DAYS);
  return Number.isFinite(days) && days > 0 ? days : DEFAULT_RETENTION_DAYS;
}

export async function pruneEvents(
  db: D1Database,
  scheduledTime: number,
  days: number,
  options: { pageSize?: number; budgetMs?: number; clock?: () => number } = {},
): Promise<{ deleted: number; complete: boolean }> {
  const clock = options.clock ?? Date.now;
  const deadline = clock() + (options.budgetMs ?? TIME_BUDGET_MS);
  const pageSize = options.pageSize ?? PRUNE_PAGE;
  let deleted = 0;
  while (clock() < deadline) {
    const n = await pruneEventsPage(db, scheduledTime - days * DAY_MS, pageSize);
    deleted += n;
    if (n < pageSize) return { deleted, complete: true };
  }
  return { deleted, complete: false };
}

/**
 * Every shard's outcome as one log line's fields (level "error" when one
 * failed or could not finish), and the names of the shards that failed.
 * Shared with the provisioning log's retention.
 */
export function retentionRun<T extends { complete: boolean }>(
  outcomes: Array<ShardOutcome<T>>,
): { level: "info" | "error"; shards: Record<string, T | { error: string; message: string }>; failed: string[] } {
  const shards: Record<string, T | { error: string; message: string }> = {};
  const failed: string[] = [];
  let level: "info" | "error" = "info";
  for (const outcome of outcomes) {
    if (outcome.ok) {
      shards[outcome.shard] = outcome.value;
      if (!outcome.value.complete) level = "error";
    } else {
      // Redacted: a D1 error's message carries the SQL and its bound values (src/log.ts).
      const { error, message } = errorFields(outcome.error);
      shards[outcome.shard] = { error, message };
      failed.push(outcome.shard);
      level = "error";
    }
  }
  return { level, shards, failed };
}

export async function runEventRetention(env: Env, scheduledTime: number): Promise<void> {
  const days = retentionDays(env);
  const run = retentionRun(await onEveryShard(env, (rd) => pruneEvents(rd.d1, scheduledTime, days)));
  const values = Object.values(run.shards).filter((v): v is { deleted: number; complete: boolean } => "deleted" in v);
  log(run.level, {
    type: "event-retention",
    retentionDays: days,
    deleted: values.reduce((n, v) => n + v.deleted, 0),
    complete: run.failed.length === 0 && values.every((v) => v.complete),
    shards: run.shards,
  });
  if (run.failed.length > 0) throw new Error(`Event retention failed on ${run.failed.join(", ")}; see the log line of type event-retention.`);
}
