/**
 * The worker entry: HTTP (the Hono app) and the Cron Trigger (the licence
 * sweep). Nothing else lives here.
 */
import { createApp } from "./app.js";
import type { Env } from "./env.js";
import { runLicenceSweep } from "./licence/sweep.js";

const app = createApp();

export default {
  fetch: app.fetch,
  async scheduled(controller, env, ctx) {
    // Awaited, not waitUntil'd: a failure must surface in Past Cron Events (platform-notes §4.2).
    await runLicenceSweep(env, controller.scheduledTime, ctx);
  },
} satisfies ExportedHandler<Env>;
