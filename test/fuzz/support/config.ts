/**
 * The fuzz run's parameters, from the bindings vitest.config.ts passes in
 * (workerd has no process.env): FUZZ_REQUESTS, FUZZ_SEED ("random" draws
 * one), FUZZ_PATH (fast-check's replay path, printed with a failure) and
 * FUZZ_KEEP_GOING (collect every failing run instead of stopping at the
 * first).
 */

/** The seed of every run unless FUZZ_SEED says otherwise: the same requests on every machine. */
export const DEFAULT_SEED = 162026;
/** Requests per run: one fresh pair of tenants, then this many generated requests in sequence. */
export const REQUESTS_PER_RUN = 50;

export interface FuzzConfig {
  requests: number;
  runs: number;
  seed: number;
  path: string | undefined;
  keepGoing: boolean;
}

interface FuzzBindings {
  FUZZ_REQUESTS?: string;
  FUZZ_SEED?: string;
  FUZZ_PATH?: string;
  FUZZ_KEEP_GOING?: string;
}

export function fuzzConfig(env: FuzzBindings): FuzzConfig {
  const requested = Number(env.FUZZ_REQUESTS || "1000");
  if (!Number.isInteger(requested) || requested < 1) throw new Error(`FUZZ_REQUESTS must be a positive integer, not "${env.FUZZ_REQUESTS}"`);
  const rawSeed = (env.FUZZ_SEED ?? "").trim();
  let seed = DEFAULT_SEED;
  if (rawSeed === "random") seed = crypto.getRandomValues(new Int32Array(1))[0]!;
  else if (rawSeed !== "") {
    seed = Number(rawSeed);
    if (!Number.isInteger(seed) || Math.abs(seed) > 2 ** 31) throw new Error(`FUZZ_SEED must be a 32-bit integer or "random", not "${rawSeed}"`);
  }
  const runs = Math.ceil(requested / REQUESTS_PER_RUN);
  return {
    requests: runs * REQUESTS_PER_RUN,
    runs,
    seed,
    path: env.FUZZ_PATH?.trim() || undefined,
    keepGoing: ["1", "true", "yes"].includes((env.FUZZ_KEEP_GOING ?? "").toLowerCase()),
  };
}
