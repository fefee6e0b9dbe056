/**
 * The licence sweep (the Cron Trigger of wrangler.toml, every 15 minutes): removes every downgraded
 * licence whose expiresAt <= controller.scheduledTime, across all tenants.
 *
 * - Time-pure: compares with scheduledTime, not Date.now() (frozen between
 *   I/O in production, platform-notes §4.1), so a late run expires exactly
 *   what was due at its planned time, and tests control the clock.
 * - Idempotent and self-healing: the predicate is state-based, so a doubled,
 *   late or missed run is harmless; with the cron every 15 minutes and
 *   proGraceHours <= 23, no downgraded licence outlives 24 h even if three
 *   runs in a row are lost.
 * - Bounded: pages of PAGE_SIZE through the partial expiry index, O(page)
 *   rows each, until done or TIME_BUDGET_MS is spent (well under the 30 s CPU
 *   limit of sub-hourly crons); the next run continues where it stopped.
 */
import type { Env } from "../env.js";
import { D1Meter, meteredD1 } from "../storage/d1-meter.js";
import { sweepPage } from "../storage/licences.js";

export const PAGE_SIZE = 1000;
export const TIME_BUDGET_MS = 20_000;

export interface SweepReport {
  expired: number;
  expiredByTenant: Record<string, number>;
  pages: number;
  rowsRead: number;
  rowsWritten: number;
  statements: number;
  complete: boolean;
}

export async function sweepLicences(
  db: D1Database,
  scheduledTime: number,
  options: { pageSize?: number; budgetMs?: number; clock?: () => number } = {},
): Promise<SweepReport> {
  const pageSize = options.pageSize ?? PAGE_SIZE;
  const clock = options.clock ?? Date.now;
  const deadline = clock() + (options.budgetMs ?? TIME_BUDGET_MS);
  const meter = new D1Meter();
  const d1 = meteredD1(db, meter);
  const byTenant: Record<string, number> = {};
  let pages = 0;
  let complete = false;
  while (clock() < deadline) {
    const page = await sweepPage(d1, scheduledTime, pageSize);
    pages += 1;
    for (const [tenant, n] of page.expiredByTenant) byTenant[tenant] = (byTenant[tenant] ?? 0) + n;
    console.log(JSON.stringify({ type: "licence-sweep-page", page: pages, scanned: page.scanned, rowsRead: page.rowsRead, statements: page.statements }));
    if (page.scanned < pageSize) {
      complete = true;
      break;
    }
  }
  const expired = Object.values(byTenant).reduce((a, b) => a + b, 0);
  return { expired, expiredByTenant: byTenant, pages, rowsRead: meter.rowsRead, rowsWritten: meter.rowsWritten, statements: meter.statements, complete };
}

export async function runLicenceSweep(env: Env, scheduledTime: number, _ctx: ExecutionContext): Promise<SweepReport> {
  const report = await sweepLicences(env.DB, scheduledTime);
  for (const [tenant, count] of Object.entries(report.expiredByTenant)) {
    console.log(JSON.stringify({ type: "licence-sweep", tenant, expired: count, scheduledTime }));
  }
  console.log(JSON.stringify({ type: "licence-sweep-summary", scheduledTime: new Date(scheduledTime).toISOString(), ...report, expiredByTenant: undefined }));
  return report;
}
