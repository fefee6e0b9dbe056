/**
 * The worker entry: HTTP (the Hono app) and the Cron Trigger (the licence
 * sweep, then event and provisioning log retention; webhook deliveries on their own every-minute
 * trigger; tenant moves on every trigger). Nothing else lives here.
 */
import { createApp } from "./app.js";
import type { Env } from "./env.js";
import { errorFields, log } from "./log.js";
import { forgetTenant } from "./middleware/live-tenant/index.js";
import { runTenantMoves } from "./moves/advancer.js";
import { runEventRetention } from "./feed/retention.js";
import { runLicenceSweep } from "./licence/sweep.js";
import { runRequestLogRetention } from "./provisioning-log/retention.js";
import { runWebhookDeliveries, WEBHOOK_CRON } from "./webhooks/delivery.js";

const app = createApp();

export default {
  fetch: app.fetch,
  async scheduled(controller, env, ctx) {
    // Tenant moves advance on every trigger, beside the other jobs (src/moves/: leased, bounded,
    // resumable); at a switch this isolate forgets what it knew of the tenant's copies. Both run to
    // their end, and a failure of either (already logged, redacted) surfaces in Past Cron Events.
    const outcomes = await Promise.allSettled([
      scheduledJobs(controller, env, ctx),
      // The moves' clock (leases, the KV settling wait) is the wall clock, moved forward by as much as
      // the trigger's time is ahead of it: never in production (a trigger fires at or after its time);
      // `wrangler dev --test-scheduled` takes `&time=` to pass time (test/e2e/sharded-wrangler-dev.test.ts).
      runTenantMoves(env, controller.scheduledTime, { onSwitched: forgetTenant, clock: aheadBy(controller.scheduledTime - Date.now()) }),
    ]);
    for (const outcome of outcomes) if (outcome.status === "rejected") throw outcome.reason;
  },
} satisfies ExportedHandler<Env>;

async function scheduledJobs(controller: ScheduledController, env: Env, ctx: ExecutionContext): Promise<void> {
  // The every-minute trigger delivers webhooks (docs/webhooks.md); every other one sweeps.
  if (controller.cron === WEBHOOK_CRON) return runWebhookDeliveries(env, controller.scheduledTime);
  // Awaited, not waitUntil'd: a failure must surface in Past Cron Events (Cloudflare's
  // "Scheduled handler" docs: a failed waitUntil is recorded there, not the handler's own outcome).
  try {
    await runLicenceSweep(env, controller.scheduledTime, ctx);
    await runEventRetention(env, controller.scheduledTime);
    await runRequestLogRetention(env, controller.scheduledTime);
  } catch (err) {
    // The platform logs an uncaught error with its message, and a D1 error's message carries
    // the SQL and its bound values: log a redacted line, rethrow one that says only where to look.
    log("error", { type: "scheduled-run-failed", cron: controller.cron, ...errorFields(err) });
    // No `cause`: it would carry the unredacted error into the platform's log of the failure.
    // eslint-disable-next-line preserve-caught-error
    throw new Error("Scheduled run failed; see the log line of type scheduled-run-failed.");
  }
}

/** The wall clock, `ms` ahead when `ms` is positive. */
function aheadBy(ms: number): () => number {
  const offset = Math.max(0, ms);
  return () => Date.now() + offset;
}
