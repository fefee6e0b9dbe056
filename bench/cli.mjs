// Command-line options of `npm run bench` (`node bench/run.mjs`).

import { parseArgs } from "node:util";

export const HELP = `Usage: npm run bench -- [options]

Starts the worker with \`wrangler dev\` on a throwaway local persist directory
and a free loopback port, seeds tenants, measures every SCIM operation, and
writes results.md / results.json / SVG charts; then loads many tenants spread
over 1, 2 and 4 local D1 shards and measures bytes per user on disk. Exits 1
when a D1 row budget (or the shard routing budget) is broken, 2 when an
operation could not be measured (error or missing route).

Options:
  --quick               small sizes and short rounds (100 and 2,000 users,
                        group of 2,000, 1 s × 2 rounds; 24 tenants of 20
                        users over 1, 2 and 4 shards); under 3 minutes
  --sizes <list>        tenant sizes in users, comma-separated
                        (default 100,10000,100000)
  --group-size <n>      members of the big licensing group in each tenant
                        (capped at the tenant size; default: largest size)
  --duration <s>        seconds per measurement round (default 5; quick 1)
  --rounds <n>          rounds per operation and size; the median is reported
                        (default 3; quick 2)
  --connections <n>     concurrent connections (default 10; quick 8)
  --samples <n>         requests whose D1 row headers are sampled per
                        operation and size (default 3)
  --sweep-licences <n>  expired licences seeded for the sweep (default 10000)
  --sweep-tenants <n>   tenants they are spread over (default 50)
  --flips <n>           licence flip pairs (False then True) per size
                        (default 2; quick 1)
  --bursts <n>          bursts of 20 concurrent PATCHes of one user and of
                        one group, per size (default 10; quick 3)
  --scenario <name>     all (default), sizes (the single-database run
                        above), or shards (the multi-shard run below)
  --shard-counts <list> data shards per multi-tenant run (default 1,2,4)
  --shard-tenants <n>   tenants spread over the shards (default 48; quick 24)
  --shard-users <n>     users seeded per tenant (default 500; quick 20)
  --shard-connections <n>
                        concurrent connections of the multi-tenant load
                        (default 32; quick 16)
  --shard-duration <s>  seconds per multi-tenant round (default 10; quick 2)
  --shard-rounds <n>    measured rounds per shard count, after a warm-up
                        round of 3 s (quick 1 s); median reported
                        (default 3; quick 1)
  --bytes-users <n>     users provisioned through the API to measure bytes
                        per user on disk; 0 skips it (default 5000; quick 200)
  --out <dir>           results folder (default bench/results/<timestamp>)
  --keep                keep the persist directory (its path is printed)
  -h, --help            this text
`;

/** @param {string[]} argv */
export function parseOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: "boolean", default: false },
      sizes: { type: "string" },
      "group-size": { type: "string" },
      duration: { type: "string" },
      rounds: { type: "string" },
      connections: { type: "string" },
      samples: { type: "string" },
      "sweep-licences": { type: "string" },
      "sweep-tenants": { type: "string" },
      flips: { type: "string" },
      bursts: { type: "string" },
      scenario: { type: "string" },
      "shard-counts": { type: "string" },
      "shard-tenants": { type: "string" },
      "shard-users": { type: "string" },
      "shard-connections": { type: "string" },
      "shard-duration": { type: "string" },
      "shard-rounds": { type: "string" },
      "bytes-users": { type: "string" },
      out: { type: "string" },
      keep: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
  });
  const quick = values.quick;
  const int = (name, v, def, min = 1) => {
    if (v === undefined) return def;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer ≥ ${min}`);
    return n;
  };
  const sizes = (values.sizes ?? (quick ? "100,2000" : "100,10000,100000")).split(",").map((s) => {
    const n = Number(s.trim().replace(/_/g, ""));
    if (!Number.isInteger(n) || n < 1) throw new Error(`--sizes: "${s}" is not a positive integer`);
    return n;
  });
  sizes.sort((a, b) => a - b);
  const scenario = values.scenario ?? "all";
  if (!["all", "sizes", "shards"].includes(scenario)) throw new Error(`--scenario must be all, sizes or shards, not "${scenario}"`);
  const shardCounts = [...new Set((values["shard-counts"] ?? "1,2,4").split(",").map((s) => Number(s.trim())))].sort((a, b) => a - b);
  // DB, DB_2 … DB_16: a binding name each (shard-config.mjs).
  if (shardCounts.some((n) => !Number.isInteger(n) || n < 1 || n > 16)) throw new Error("--shard-counts: integers from 1 to 16, comma-separated");
  return {
    help: values.help,
    quick,
    keep: values.keep,
    sizes,
    groupSize: int("group-size", values["group-size"], sizes[sizes.length - 1], 0),
    duration: int("duration", values.duration, quick ? 1 : 5),
    rounds: int("rounds", values.rounds, quick ? 2 : 3),
    connections: int("connections", values.connections, quick ? 8 : 10),
    samples: int("samples", values.samples, 3),
    sweepLicences: int("sweep-licences", values["sweep-licences"], 10_000, 0),
    sweepTenants: int("sweep-tenants", values["sweep-tenants"], 50),
    flips: int("flips", values.flips, quick ? 1 : 2, 0),
    bursts: int("bursts", values.bursts, quick ? 3 : 10, 0),
    scenario,
    shardCounts,
    shardTenants: int("shard-tenants", values["shard-tenants"], quick ? 24 : 48),
    shardUsers: int("shard-users", values["shard-users"], quick ? 20 : 500),
    shardConnections: int("shard-connections", values["shard-connections"], quick ? 16 : 32),
    shardDuration: int("shard-duration", values["shard-duration"], quick ? 2 : 10),
    shardRounds: int("shard-rounds", values["shard-rounds"], quick ? 1 : 3),
    shardWarmup: quick ? 1 : 3,
    bytesUsers: int("bytes-users", values["bytes-users"], quick ? 200 : 5000, 0),
    out: values.out,
  };
}
