/**
 * The Cron Triggers' work, composed in one place (as src/app.ts composes
 * HTTP): tenant moves advance on every trigger (src/moves/: leased, bounded,
 * resumable); the every-minute trigger delivers webhooks (docs/webhooks.md);
 * the quarter-hourly one runs the licence sweep, event retention and
 * provisioning-log retention, each over every data shard.
 *
 * Every job runs to its end whatever another one does — a failed sweep must
 * not stop retention, nor a stuck move the sweep — and any failure is then
 * rethrown, awaited rather than waitUntil'd, so it surfaces in Past Cron
 * Events (Cloudflare's "Scheduled handler" docs: a failed waitUntil is
 * recorded there, not the handler's own outcome).
 */
import type { Env } from "./env.js";
import { errorFields, log } from "./log.js";
import { forgetTenant } from "./middleware/live-tenant/index.js";
import { runTenantMoves } from "./moves/advancer.js";
import { runEventRetention } from "./feed/retention.js";
import { runLicenceSweep } from "./licence/sweep.js";
import { runRequestLogRetention } from "./provisioning-log/retention.js";
import { runWebhookDeliveries, WEBHOOK_CRON } from "./webhooks/delivery.js";

export async function runScheduled(controller: ScheduledController, env: Env, ctx: ExecutionContext): Promise<void> {
  const at = controller.scheduledTime;
  // A move's clock (leases, the wait for KV's cache) is the wall clock, moved forward to the scheduled
  // time when that is later: never in production (a run starts after its time), but under wrangler dev
  // Miniflare's `/cdn-cgi/local/scheduled?cron=…&time=<ms>` then steps a move through its waits without
  // waiting (docs/sharding.md; wrangler's own `/__scheduled` passes no time).
  const ahead = Math.max(0, at - Date.now());
  const jobs: Array<Promise<void>> = [
    // At a switch, this isolate forgets what it knew of the tenant's copies.
    runTenantMoves(env, at, { onSwitched: forgetTenant, clock: () => Date.now() + ahead }),
    ...(controller.cron === WEBHOOK_CRON
      ? [runWebhookDeliveries(env, at)]
      : [
          quarterHourly(controller.cron, () => runLicenceSweep(env, at, ctx)),
          quarterHourly(controller.cron, () => runEventRetention(env, at)),
          quarterHourly(controller.cron, () => runRequestLogRetention(env, at)),
        ]),
  ];
  const outcomes = await Promise.allSettled(jobs);
  for (const outcome of outcomes) if (outcome.status === "rejected") throw outcome.reason;
}

/**
 * One of the quarter-hourly jobs. The platform logs an uncaught error with
 * its message, and a D1 error's message carries the SQL and its bound
 * values: log a redacted line, rethrow one that says only where to look.
 */
async function quarterHourly(cron: string, job: () => Promise<unknown>): Promise<void> {
  try {
    await job();
  } catch (err) {
    log("error", { type: "scheduled-run-failed", cron, ...errorFields(err) });
    // No `cause`: it would carry the unredacted error into the platform's log of the failure.
    // eslint-disable-next-line preserve-caught-error
    throw new Error("Scheduled run failed; see the log line of type scheduled-run-failed.");
  }
}
