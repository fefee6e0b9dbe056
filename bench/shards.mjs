// The shard part of `npm run bench` (bench/README.md, "Shards"): one
// persist directory with the D1 bindings DB … DB_<max>, all migrated once;
// then, on wrangler dev restarted with DATA_SHARDS naming 1, 2 … of them,
// many tenants spread over those shards under Entra's mix (multi-tenant.mjs),
// and, first, the bytes a provisioned user takes on disk (bytes-per-user.mjs).

import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { bytesPerUser, countLogWrites, footprint, provisionEntraUsers } from "./bytes-per-user.mjs";
import { AdminClient } from "./http.mjs";
import { LoadRecord, LoadTenant, MIX, TEAMS } from "./multi-tenant.mjs";
import { shardBindingNames, withShardBindings } from "./shard-config.mjs";
import { tenantSeedSql } from "./seed.mjs";
import { WranglerDev, benchWranglerConfig, freePort, runWranglerOk } from "./wrangler-process.mjs";

const D1_FILES = ["v3", "d1", "miniflare-D1DatabaseObject"];

/** The .sqlite files of the local D1 databases in a persist dir. */
function databaseFiles(persistDir) {
  const dir = path.join(persistDir, ...D1_FILES);
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith(".sqlite") && f !== "metadata.sqlite")
      .map((f) => path.join(dir, f));
  } catch {
    return [];
  }
}

/**
 * @param {{ opts: any, root: string, persistDir: string, log: (m: string) => void, results: any, state: { dev?: WranglerDev }, adminToken: string }} o
 */
export async function runShards({ opts, root, persistDir, log, results, state, adminToken }) {
  const maxShards = Math.max(...opts.shardCounts);
  const names = shardBindingNames(Math.max(maxShards, opts.bytesUsers > 0 ? 2 : 1));
  const out = {
    config: {
      shardCounts: opts.shardCounts,
      tenants: opts.shardTenants,
      usersPerTenant: opts.shardUsers,
      teamsPerTenant: TEAMS,
      connections: opts.shardConnections,
      durationS: opts.shardDuration,
      rounds: opts.shardRounds,
      warmupS: opts.shardWarmup,
      mix: MIX.map(({ key, label, weight }) => ({ key, label, weight })),
    },
    loadAverage: { before: os.loadavg() },
    runs: [],
    bytes: undefined,
    routing: undefined,
  };
  results.shards = out;

  const configPath = path.join(persistDir, "wrangler.shards.toml");
  writeFileSync(configPath, withShardBindings(benchWranglerConfig(readFileSync(path.join(root, "wrangler.toml"), "utf8"), root), names, root));
  const wrangler = (args, timeoutMs = 600_000) => runWranglerOk([...args, "--local", "--persist-to", persistDir, "--config", configPath], { cwd: root, timeoutMs });

  // Migrate one binding at a time, so the new .sqlite file names the binding.
  /** @type {Record<string, string>} */
  const fileOf = {};
  log(`shards: migrating ${names.join(", ")}`);
  for (const name of names) {
    const known = new Set(databaseFiles(persistDir));
    await wrangler(["d1", "migrations", "apply", name], 180_000);
    const fresh = databaseFiles(persistDir).filter((f) => !known.has(f));
    if (fresh.length === 1) fileOf[name] = fresh[0];
  }

  // Restarted for every round: a start can lose a race for a local socket with the worker just stopped
  // (wrangler: "Address already in use"), so a failed start is retried on fresh ports, twice at most.
  const startDev = async (dataShards) => {
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const dev = new WranglerDev({ cwd: root, persistTo: persistDir, port, adminToken, config: configPath, vars: { DATA_SHARDS: dataShards.join(",") } }).start();
      state.dev = dev;
      try {
        await dev.waitHealthy(120_000);
        return dev;
      } catch (err) {
        await stopDev();
        if (attempt === 3) throw err;
        log(`shards: wrangler dev did not start (attempt ${attempt}), starting it again: ${String(err.message).split("\n")[0]}`);
      }
    }
  };
  const stopDev = async () => {
    await state.dev?.stop();
    state.dev = undefined;
  };

  if (opts.bytesUsers > 0) out.bytes = await measureBytes({ opts, names, fileOf, startDev, stopDev, log, results });

  // Each shard count's tenants, created and seeded once, and its first round measured; the
  // other rounds interleaved (1, 2, 4, 1, 2, 4, …), each on a freshly started worker with that
  // count's DATA_SHARDS after a warm-up round, so drifting load on the machine falls on every count.
  /** @type {Map<number, { shards: string[], tenants: LoadTenant[], record: LoadRecord, run: any }>} */
  const setups = new Map();
  const measureRound = async (n, setup, dev, r) => {
    const round = await setup.record.round({ baseUrl: dev.baseUrl, tenants: setup.tenants, connections: opts.shardConnections, durationS: opts.shardDuration, warmupS: opts.shardWarmup, pgid: dev.child?.pid });
    log(`shards: ${n}, round ${r + 1}: ${round.rps.toFixed(0)} req/s, p50 ${round.p50} ms, p99 ${round.p99} ms; CPU ${JSON.stringify(round.cpu)}`);
  };
  for (const n of opts.shardCounts) {
    const shards = names.slice(0, n);
    const run = { shards: n, names: shards, status: "ok" };
    out.runs.push(run);
    log(`shards: ${n} shard(s) (${shards.join(", ")}): creating and seeding ${opts.shardTenants} tenants of ${opts.shardUsers} users`);
    try {
      const dev = await startDev(shards);
      const tenants = await seedTenants({ admin: new AdminClient(dev.baseUrl, adminToken), n, shards, opts, persistDir, wrangler });
      run.tenantsPerShard = Object.fromEntries(shards.map((s) => [s, tenants.filter((t) => t.shard === s).length]));
      const setup = { shards, tenants, record: new LoadRecord(), run };
      setups.set(n, setup);
      await measureRound(n, setup, dev, 0);
    } catch (err) {
      fail(run, err);
    }
    await stopDev();
  }
  for (let r = 1; r < opts.shardRounds; r++) {
    for (const [n, setup] of setups) {
      if (setup.run.status !== "ok") continue;
      try {
        await measureRound(n, setup, await startDev(setup.shards), r);
      } catch (err) {
        fail(setup.run, err);
      }
      await stopDev();
    }
  }

  for (const [n, setup] of setups) {
    if (setup.run.status !== "ok") continue;
    const m = setup.record.summary();
    Object.assign(setup.run, m);
    log(
      `shards: ${n}: ${m.rps?.toFixed(0)} req/s, p50 ${m.p50} ms, p99 ${m.p99} ms, ${m.requests} requests (${m.non2xx} non-2xx, ${m.errors} errors); ` +
        `requests per shard ${JSON.stringify(m.requestsByShard)}; not on exactly their tenant's shard: ${m.misrouted.count} (+${m.misrouted.missingHeader} without the header)`,
    );
    if (m.non2xx || m.errors) {
      const statuses = Object.fromEntries(Object.entries(m.perOp).map(([k, v]) => [k, v.statuses]));
      results.problems.push(`shards ${n}: ${m.non2xx} non-2xx and ${m.errors} errors of ${m.requests} requests: ${JSON.stringify(statuses)}`);
    }
  }

  function fail(run, err) {
    run.status = "failed";
    run.note = err.message;
    results.problems.push(`shards ${run.shards}: ${err.message}`);
    log(`shards: ${run.shards}: ${err.message}`);
  }
  out.loadAverage.after = os.loadavg();
  judgeRouting(out);
}

/**
 * Creates `opts.shardTenants` tenants through the admin API, round-robin on
 * `shards` (explicit: the control database keeps the other runs' tenants,
 * so least-loaded placement would not spread these), and seeds them: one
 * SQL file per shard, the shards in parallel; checked through the admin stats.
 */
async function seedTenants({ admin, n, shards, opts, persistDir, wrangler }) {
  const runTag = Math.random().toString(16).slice(2, 8);
  const tenants = await Promise.all(
    Array.from({ length: opts.shardTenants }, async (_, k) => {
      const id = `bench-s${n}-t${String(k).padStart(3, "0")}`;
      const shard = shards[k % n];
      const t = await admin.createTenant(id, `bench ${n} shards, tenant ${k}`, { shard });
      if (t.tenant.shard !== shard) throw new Error(`tenant ${id}: asked for shard ${shard}, placed on ${t.tenant.shard}`);
      return new LoadTenant({ id, shard, token: t.token, users: opts.shardUsers, runTag: `${runTag}-${k}` });
    }),
  );
  await Promise.all(
    shards.map(async (shard) => {
      const sql = tenants.filter((t) => t.shard === shard).map((t) => tenantSeedSql(t.layout)).join("");
      const file = path.join(persistDir, `seed-${n}-${shard}.sql`);
      writeFileSync(file, sql);
      await wrangler(["d1", "execute", shard, "--file", file]);
    }),
  );
  for (const shard of shards) {
    const t = tenants.find((x) => x.shard === shard);
    const stats = await admin.stats(t.id);
    if (stats?.users !== opts.shardUsers) throw new Error(`tenant ${t.id} on ${shard}: admin stats after seeding ${JSON.stringify(stats)}, expected ${opts.shardUsers} users`);
  }
  return tenants;
}

/** Every SCIM request of every run sent its statements to exactly one binding: its tenant's shard. */
function judgeRouting(out) {
  const measured = out.runs.filter((r) => r.status === "ok" && r.misrouted);
  const why = measured.filter((r) => r.misrouted.count || r.misrouted.missingHeader).map((r) => `${r.shards} shards: ${r.misrouted.count} request(s) on another or more than one binding, ${r.misrouted.missingHeader} without x-d1-statements-by-binding (${JSON.stringify(r.misrouted.examples.slice(0, 2))})`);
  out.routing = {
    text: "every SCIM request's statements on exactly one D1 binding, its tenant's shard",
    met: measured.length === 0 ? null : why.length === 0,
    why: why.join("; "),
    requests: measured.reduce((s, r) => s + r.misrouted.checked, 0),
  };
}

/**
 * Bytes per user: an empty data shard (the second binding, or DB alone),
 * measured with wrangler dev stopped, then users provisioned through the
 * API, then measured again.
 */
async function measureBytes({ opts, names, fileOf, startDev, stopDev, log, results }) {
  const shard = names[1] ?? names[0];
  const file = fileOf[shard];
  if (!file) {
    results.problems.push(`bytes per user: the SQLite file of ${shard} was not found in the persist directory`);
    return undefined;
  }
  log(`bytes per user: ${opts.bytesUsers} Entra users in 5 groups each, through the API, on ${shard}`);
  try {
    const before = await footprint(file);
    const dev = await startDev(names.slice(0, Math.min(2, names.length)));
    const admin = new AdminClient(dev.baseUrl, dev.options.adminToken);
    const tenantId = "bench-bytes";
    const t = await admin.createTenant(tenantId, "bench bytes per user", { shard });
    const logs = countLogWrites(dev);
    const p = await provisionEntraUsers({ baseUrl: dev.baseUrl, scimPath: `/tenants/${tenantId}/scim/v2`, token: t.token, tenantId, users: opts.bytesUsers, connections: opts.connections });
    // Every provisioning-log entry written (after its response) before wrangler stops.
    const deadline = Date.now() + 30_000;
    while (logs.counter.n < p.sent && Date.now() < deadline) await new Promise((res) => setTimeout(res, 100));
    logs.off();
    const logged = logs.counter.n;
    await stopDev();
    const after = await footprint(file);
    const figures = bytesPerUser(before, after, p.created);
    if (p.failures.length) results.problems.push(`bytes per user: ${p.failures.join("; ")}`);
    if (p.created !== opts.bytesUsers) results.problems.push(`bytes per user: ${p.created} of ${opts.bytesUsers} users created`);
    if (logged < p.sent) results.problems.push(`bytes per user: ${logged} of ${p.sent} provisioning log entries reported written`);
    log(`bytes per user: ${figures.total.toFixed(0)} B as written, ${figures.compact.toFixed(0)} B after VACUUM; events ${(figures.byTable.events ?? 0).toFixed(0)} B, log ${(figures.byTable.request_log ?? 0).toFixed(0)} B per user`);
    return { shard, requests: p.sent, groupsPerUser: p.groups, userBodyBytes: p.bodyBytes, ...figures };
  } catch (err) {
    results.problems.push(`bytes per user: ${err.message}`);
    log(`bytes per user: ${err.message}`);
    await stopDev();
    return undefined;
  }
}
