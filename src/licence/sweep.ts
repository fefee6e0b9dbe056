/**
 * The licence sweep (the Cron Trigger of wrangler.toml, every 15 minutes): removes every downgraded
 * licence whose expiresAt <= controller.scheduledTime, across all tenants.
 *
 * - Time-pure: compares with scheduledTime, not Date.now() (frozen between
 *   I/O in production: Cloudflare's "Performance and timers" docs), so a late run expires exactly
 *   what was due at its planned time, and tests control the clock.
 * - Idempotent and self-healing: the predicate is state-based, so a doubled,
 *   late or missed run is harmless; with the cron every 15 minutes and
 *   proGraceHours <= 23, no downgraded licence outlives 24 h even if three
 *   runs in a row are lost.
 * - Bounded: pages of PAGE_SIZE through the partial expiry index, O(page)
 *   rows each, until done or TIME_BUDGET_MS is spent (well under the 30 s CPU
 *   limit of sub-hourly crons); the next run continues where it stopped.
 * - Loud when behind: a run that stops with licences still due logs one line
 *   at level "error" with the backlog (counted with a bounded query, "at
 *   least N" past SWEEP_BACKLOG_CAP). Readers never report an expired licence
 *   as held meanwhile (they compare expires_at with now themselves), but the
 *   rows stay in D1 and every read skips them until a run deletes them, so
 *   this is what operators alert on.
 *
 * Every log line is one JSON object with a `level` ("info" | "error"), as
 * the request log lines are, so Workers Logs can filter on it.
 */
import type { Env } from "../env.js";
import { dateTime } from "../scim/data-types.js";
import { D1Meter, meteredD1 } from "../storage/d1-meter.js";
import { SWEEP_BACKLOG_CAP, sweepBacklog, sweepPage } from "./sweep-page.js";

export const PAGE_SIZE = 1000;
export const TIME_BUDGET_MS = 20_000;

type LogLevel = "info" | "error";

function log(level: LogLevel, fields: Record<string, unknown>): void {
  const line = JSON.stringify({ level, ...fields });
  if (level === "error") console.error(line);
  else console.log(line);
}

export interface SweepReport {
  expired: number;
  expiredByTenant: Record<string, number>;
  pages: number;
  rowsRead: number;
  rowsWritten: number;
  statements: number;
  complete: boolean;
  /** When the run stopped unfinished: licences still due (a lower bound when backlogCapped); null when complete. */
  backlog: number | null;
  backlogCapped: boolean;
}

export async function sweepLicences(
  db: D1Database,
  scheduledTime: number,
  options: { pageSize?: number; budgetMs?: number; clock?: () => number } = {},
): Promise<SweepReport> {
  const pageSize = options.pageSize ?? PAGE_SIZE;
  const clock = options.clock ?? Date.now;
  const budgetMs = options.budgetMs ?? TIME_BUDGET_MS;
  const deadline = clock() + budgetMs;
  const meter = new D1Meter();
  const d1 = meteredD1(db, meter);
  const byTenant: Record<string, number> = {};
  let pages = 0;
  let complete = false;
  while (clock() < deadline) {
    const page = await sweepPage(d1, scheduledTime, pageSize);
    pages += 1;
    for (const [tenant, n] of page.expiredByTenant) byTenant[tenant] = (byTenant[tenant] ?? 0) + n;
    log("info", { type: "licence-sweep-page", page: pages, scanned: page.scanned, rowsRead: page.rowsRead, statements: page.statements });
    if (page.scanned < pageSize) {
      complete = true;
      break;
    }
  }
  const expired = Object.values(byTenant).reduce((a, b) => a + b, 0);
  let backlog: number | null = null;
  let backlogCapped = false;
  if (!complete) {
    // The budget ran out on a full page: count what is left (bounded), so an
    // operator sees how far behind the sweep is. A last full page that was
    // exactly the remainder leaves nothing: that run did finish.
    const left = await sweepBacklog(d1, scheduledTime, SWEEP_BACKLOG_CAP);
    if (left.due === 0) {
      complete = true;
    } else {
      backlog = left.due;
      backlogCapped = left.capped;
      log("error", {
        type: "licence-sweep-backlog",
        scheduledTime: dateTime(scheduledTime),
        backlog: left.due,
        backlogCapped: left.capped,
        expired,
        pages,
        budgetMs,
        message: `Licence sweep stopped after its ${budgetMs} ms budget with ${left.capped ? "at least " : ""}${left.due} licences still due; the next run continues.`,
      });
    }
  }
  return {
    expired,
    expiredByTenant: byTenant,
    pages,
    rowsRead: meter.rowsRead,
    rowsWritten: meter.rowsWritten,
    statements: meter.statements,
    complete,
    backlog,
    backlogCapped,
  };
}

export async function runLicenceSweep(env: Env, scheduledTime: number, _ctx: ExecutionContext): Promise<SweepReport> {
  const report = await sweepLicences(env.DB, scheduledTime);
  for (const [tenant, count] of Object.entries(report.expiredByTenant)) {
    log("info", { type: "licence-sweep", tenant, expired: count, scheduledTime });
  }
  log("info", { type: "licence-sweep-summary", scheduledTime: dateTime(scheduledTime), ...report, expiredByTenant: undefined });
  return report;
}
