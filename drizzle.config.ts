import { defineConfig } from "drizzle-kit";

// `npm run db:generate` diffs src/storage/schema.ts against migrations/meta and
// writes the next SQL file. wrangler applies migrations/*.sql and ignores meta/.
export default defineConfig({
  dialect: "sqlite",
  schema: "./src/storage/schema.ts",
  out: "./migrations",
});
