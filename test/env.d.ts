import type { D1Migration } from "cloudflare:test";
import type { Env as WorkerEnv } from "../src/env.js";

declare global {
  namespace Cloudflare {
    interface Env extends WorkerEnv {
      TEST_MIGRATIONS: D1Migration[];
      /** Rate limiters with tiny budgets (vitest.config.ts), for src/middleware/rate-limit/index.test.ts. */
      TEST_TIGHT_RATE_LIMIT: RateLimit;
      TEST_TIGHT_AUTH_FAILURE_LIMIT: RateLimit;
      /** The fuzz project only (vitest.config.ts): total generated requests, seed, fast-check replay path. */
      FUZZ_REQUESTS?: string;
      FUZZ_SEED?: string;
      FUZZ_PATH?: string;
      FUZZ_KEEP_GOING?: string;
    }
  }
}
