import path from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

// Two projects:
// - "workers": every unit and integration test, inside workerd with the real
//   local D1 and KV of wrangler.toml (migrations applied in test/setup/).
// - "e2e": plain Node; starts `wrangler dev` and talks HTTP to it.
export default defineConfig(async () => {
  const migrations = await readD1Migrations(path.join(import.meta.dirname, "migrations"));
  return {
    test: {
      projects: [
        {
          plugins: [
            cloudflareTest({
              wrangler: { configPath: "./wrangler.toml" },
              miniflare: {
                bindings: { TEST_MIGRATIONS: migrations, ADMIN_TOKEN: "test-admin-token" },
              },
            }),
          ],
          test: {
            name: "workers",
            include: ["src/**/*.test.ts", "test/**/*.test.ts"],
            exclude: ["test/e2e/**"],
            setupFiles: ["./test/setup/apply-migrations.ts"],
            testTimeout: 120_000,
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
      ],
    },
  };
});
