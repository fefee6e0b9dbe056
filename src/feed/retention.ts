/**
 * Event retention (the Cron Trigger): deletes events older than
 * EVENT_RETENTION_DAYS (default 30) in bounded pages until done or the time
 * budget is spent; the next run continues. Every log line is JSON with a level.
 */
import type { Env } from "../env.js";
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

export async function runEventRetention(env: Env, scheduledTime: number): Promise<void> {
  const days = retentionDays(env);
  const report = await pruneEvents(env.DB, scheduledTime, days);
  console.log(JSON.stringify({ level: report.complete ? "info" : "error", type: "event-retention", retentionDays: days, ...report }));
}
