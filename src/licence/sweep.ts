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
 * - Every data shard (docs/sharding.md): each is swept on its own, at the
 *   same time, its figures in the summary line; licences of a tenant being
 *   moved (writes paused on that shard) are left for the shard it moves to.
 *
 * Every log line is one JSON object with a `level` ("info" | "error"), as
 * the request log lines are, so Workers Logs can filter on it.
 */
import type { Env } from "../env.js";
import { errorFields, log } from "../log.js";
import { dateTime } from "../scim/data-types.js";
import { D1Meter, meteredD1 } from "../storage/d1-meter.js";
import { onEveryShard } from "../storage/every-shard.js";
import { SWEEP_BACKLOG_CAP, SWEEP_START, sweepBacklog, sweepPage } from "./sweep-page.js";

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
  /** When the run stopped unfinished: licences still due (a lower bound when backlogCapped); null when complete. */
  backlog: number | null;
  backlogCapped: boolean;
  /** Tenants whose due licences were left in place: writes paused on the shard (a move under way). */
  heldTenants: string[];
}

export interface SweepOptions {
  pageSize?: number;
  budgetMs?: number;
  clock?: () => number;
  /** More than one data shard: leave alone tenants whose writes are paused on this one (sweep-page.ts). */
  movable?: boolean;
  /** The shard's binding name, for the log lines. */
  shard?: string;
}

/** The sweep of one database (one data shard). */
export async function sweepLicences(db: D1Database, scheduledTime: number, options: SweepOptions = {}): Promise<SweepReport> {
  const pageSize = options.pageSize ?? PAGE_SIZE;
  const clock = options.clock ?? Date.now;
  const budgetMs = options.budgetMs ?? TIME_BUDGET_MS;
  const deadline = clock() + budgetMs;
  const meter = new D1Meter();
  const d1 = meteredD1(db, meter, options.shard);
  const where = options.shard === undefined ? {} : { shard: options.shard };
  const byTenant: Record<string, number> = {};
  const held = new Set<string>();
  let after = SWEEP_START;
  let pages = 0;
  let complete = false;
  while (clock() < deadline) {
    const page = await sweepPage(d1, scheduledTime, pageSize, { after, movable: options.movable === true });
    pages += 1;
    for (const [tenant, n] of page.expiredByTenant) byTenant[tenant] = (byTenant[tenant] ?? 0) + n;
    for (const tenant of page.held) held.add(tenant);
    if (page.last) after = page.last;
    log("info", { type: "licence-sweep-page", ...where, page: pages, scanned: page.scanned, rowsRead: page.rowsRead, statements: page.statements });
    if (page.scanned < pageSize) {
      complete = true;
      break;
    }
  }
  const expired = Object.values(byTenant).reduce((a, b) => a + b, 0);
  let backlog: number | null = null;
  let backlogCapped = false;
  if (!complete) {
    // The budget ran out on a full page: count what is left after the run's position (bounded), so an
    // operator sees how far behind the sweep is. A last full page that was exactly the remainder leaves
    // nothing: that run did finish.
    const left = await sweepBacklog(d1, scheduledTime, SWEEP_BACKLOG_CAP, after);
    if (left.due === 0) {
      complete = true;
    } else {
      backlog = left.due;
      backlogCapped = left.capped;
      log("error", {
        type: "licence-sweep-backlog",
        ...where,
        scheduledTime: dateTime(scheduledTime),
        backlog: left.due,
        backlogCapped: left.capped,
        expired,
        pages,
        budgetMs,
        message: `Licence sweep stopped after its ${budgetMs} ms budget with ${left.capped ? "at least " : ""}${left.due} licences still due${options.shard === undefined ? "" : ` on ${options.shard}`}; the next run continues.`,
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
    heldTenants: [...held],
  };
}

/** A data shard's part of a run: its own figures, or that it failed. */
export type ShardSweep = ({ ok: true } & Omit<SweepReport, "expiredByTenant">) | { ok: false; error: string };

/** The whole run: every shard's figures added up, and each shard's. */
export interface SweepRunReport extends SweepReport {
  shards: Record<string, ShardSweep>;
  /** Shards whose sweep failed (logged each); the run then throws once the others are done. */
  failedShards: string[];
}

/**
 * The cron's sweep: every data shard at once, each with its own bounded
 * pages and the whole time budget (each shard is its own database). A shard
 * that fails — its schema behind, a D1 error — is logged and the others
 * still run; the run then throws, so Past Cron Events shows the failure.
 */
export async function runLicenceSweep(env: Env, scheduledTime: number, _ctx: ExecutionContext): Promise<SweepRunReport> {
  const outcomes = await onEveryShard(env, (rd) => sweepLicences(rd.d1, scheduledTime, { movable: rd.movable, shard: rd.binding }));
  const report: SweepRunReport = {
    expired: 0,
    expiredByTenant: {},
    pages: 0,
    rowsRead: 0,
    rowsWritten: 0,
    statements: 0,
    complete: true,
    backlog: null,
    backlogCapped: false,
    heldTenants: [],
    shards: {},
    failedShards: [],
  };
  for (const outcome of outcomes) {
    if (!outcome.ok) {
      report.complete = false;
      report.failedShards.push(outcome.shard);
      const fields = errorFields(outcome.error);
      report.shards[outcome.shard] = { ok: false, error: fields.error };
      // Redacted: a D1 error's message carries the SQL and its bound values (src/log.ts).
      log("error", { type: "licence-sweep-shard-failed", shard: outcome.shard, scheduledTime: dateTime(scheduledTime), ...fields });
      continue;
    }
    const { expiredByTenant, ...figures } = outcome.value;
    report.shards[outcome.shard] = { ok: true, ...figures };
    for (const [tenant, count] of Object.entries(expiredByTenant)) {
      report.expiredByTenant[tenant] = (report.expiredByTenant[tenant] ?? 0) + count;
      log("info", { type: "licence-sweep", tenant, shard: outcome.shard, expired: count, scheduledTime });
    }
    report.expired += figures.expired;
    report.pages += figures.pages;
    report.rowsRead += figures.rowsRead;
    report.rowsWritten += figures.rowsWritten;
    report.statements += figures.statements;
    report.complete &&= figures.complete;
    if (figures.backlog !== null) report.backlog = (report.backlog ?? 0) + figures.backlog;
    report.backlogCapped ||= figures.backlogCapped;
    report.heldTenants.push(...figures.heldTenants);
  }
  log("info", { type: "licence-sweep-summary", scheduledTime: dateTime(scheduledTime), ...report, expiredByTenant: undefined });
  if (report.failedShards.length > 0) {
    throw new Error(`Licence sweep failed on ${report.failedShards.join(", ")}; see the log lines of type licence-sweep-shard-failed.`);
  }
  return report;
}
