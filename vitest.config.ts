import path from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

// Five projects:
// - "workers": every unit and integration test, inside workerd with the real
//   local D1 and KV of wrangler.toml (migrations applied in test/setup/).
// - "shards": test/shards/, the same way with three local data shards (DATA_SHARDS = "DB,DB_2,DB_3").
// - "fuzz": the property-based suite of test/fuzz/, inside workerd the same
//   way. `npm test` sends 1,000 generated requests; `npm run fuzz` (mode
//   "fuzz") sends 10,000. FUZZ_REQUESTS, FUZZ_SEED, FUZZ_PATH and
//   FUZZ_KEEP_GOING are passed in as bindings (README, "Fuzz suite").
// - "e2e": plain Node; starts `wrangler dev` and talks HTTP to it.
// - "browser": plain Node; starts `wrangler dev` and drives Chromium through playwright-core.
export default defineConfig(async ({ mode }) => {
  const migrations = await readD1Migrations(path.join(import.meta.dirname, "migrations"));
  const workerd = (bindings: Record<string, unknown> = {}, d1Databases?: string[]) =>
    cloudflareTest({
      wrangler: { configPath: "./wrangler.toml" },
      miniflare: {
        ...(d1Databases ? { d1Databases } : {}),
        bindings: { TEST_MIGRATIONS: migrations, ADMIN_TOKEN: "test-admin-token", WEBHOOK_SECRETS_KEY: "test-webhook-secrets-key-0123456789abcdef", ...bindings },
        // Test-only limiters with tiny budgets, besides wrangler.toml's (whose defaults the worker keeps):
        // src/middleware/rate-limit/index.test.ts hands them to the app in place of SCIM_RATE_LIMIT and
        // SCIM_AUTH_FAILURE_LIMIT, so a budget is spent in a few requests, not 1,000.
        ratelimits: {
          TEST_TIGHT_RATE_LIMIT: { namespace_id: "9001", simple: { limit: 5, period: 10 } },
          TEST_TIGHT_AUTH_FAILURE_LIMIT: { namespace_id: "9002", simple: { limit: 3, period: 60 } },
        },
      },
    });
  const fuzz = {
    FUZZ_REQUESTS: process.env.FUZZ_REQUESTS ?? (mode === "fuzz" ? "10000" : "1000"),
    FUZZ_SEED: process.env.FUZZ_SEED ?? "",
    FUZZ_PATH: process.env.FUZZ_PATH ?? "",
    FUZZ_KEEP_GOING: process.env.FUZZ_KEEP_GOING ?? "",
  };
  return {
    test: {
      // The fuzz suite sends thousands of requests: their one-line request logs (and the provisioning
      // log's per-request cost lines) are dropped, the worker's error lines and the suite's own output are kept.
      onConsoleLog: (log: string, _type: "stdout" | "stderr", entity?: { project: { name: string } }) =>
        !(entity?.project.name === "fuzz" && (log.includes('"type":"request"') || log.includes('"type":"provisioning-log-write"'))),
      projects: [
        {
          plugins: [workerd()],
          test: {
            name: "workers",
            include: ["src/**/*.test.ts", "test/**/*.test.ts"],
            exclude: ["test/e2e/**", "test/fuzz/**", "test/browser/**", "test/shards/**"],
            setupFiles: ["./test/setup/apply-migrations.ts"],
            testTimeout: 120_000,
            hookTimeout: 120_000,
          },
        },
        {
          // Three local data shards (docs/sharding.md): DB (also the control database), DB_2 and DB_3,
          // each migrated by test/setup/apply-migrations.ts. test/shards/ runs here and only here.
          plugins: [workerd({ DATA_SHARDS: "DB,DB_2,DB_3" }, ["DB", "DB_2", "DB_3"])],
          test: {
            name: "shards",
            include: ["test/shards/**/*.test.ts"],
            setupFiles: ["./test/setup/apply-migrations.ts"],
            testTimeout: 120_000,
            hookTimeout: 120_000,
          },
        },
        {
          plugins: [workerd(fuzz)],
          test: {
            name: "fuzz",
            include: ["test/fuzz/**/*.test.ts"],
            setupFiles: ["./test/setup/apply-migrations.ts"],
            // One test sends every request; its time grows with FUZZ_REQUESTS.
            testTimeout: 3_600_000,
            hookTimeout: 120_000,
          },
        },
        {
          test: {
            name: "e2e",
            environment: "node",
            include: ["test/e2e/**/*.test.ts"],
            testTimeout: 180_000,
            hookTimeout: 180_000,
          },
        },
        {
          // The console and the setup page in a real browser: Debian's chromium driven by
          // playwright-core against `wrangler dev` (test/browser/; .ci/run installs chromium).
          test: {
            name: "browser",
            environment: "node",
            include: ["test/browser/**/*.test.ts"],
            testTimeout: 180_000,
            hookTimeout: 180_000,
          },
        },
      ],
    },
  };
});
