import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";

// Setup files run outside per-file storage isolation and may run more than
// once; applyD1Migrations is idempotent. Every data shard is migrated, as
// `npm run db:migrate:local` does (the "shards" project has three).
const shards = (env.DATA_SHARDS ?? "DB").split(",").map((s) => s.trim());
for (const name of new Set(["DB", ...shards])) {
  await applyD1Migrations((env as unknown as Record<string, D1Database>)[name]!, env.TEST_MIGRATIONS);
}
