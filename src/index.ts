/**
 * The worker entry: HTTP (the Hono app, src/app.ts) and the Cron Triggers
 * (src/scheduled.ts). Nothing else lives here.
 */
import { createApp } from "./app.js";
import type { Env } from "./env.js";
import { runScheduled } from "./scheduled.js";

const app = createApp();

export default {
  fetch: app.fetch,
  scheduled: runScheduled,
} satisfies ExportedHandler<Env>;
