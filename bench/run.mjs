#!/usr/bin/env node
// `npm run bench`: what each SCIM operation costs (D1 rows) and how fast it
// answers, from small to large tenants, against the runtime's own floor
// (GET /healthz). See bench/README.md.

import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { HELP, parseOptions } from "./cli.mjs";
import { AdminClient, request } from "./http.mjs";
import { measure } from "./load.mjs";
import { writeReport } from "./report.mjs";
import { BUDGETS, BURST_USER_PATHS, BURST_WRITERS, HOSTILE_BUDGET, PATCH_OP, SCENARIOS, hostileRequests, licenceFlipBody, lookupOnly, sizeContext } from "./scenarios.mjs";
import { TenantLayout, compareShapes, groupBody, sweepSeedSql, tenantSeedSql, userBody } from "./seed.mjs";
import { runShards } from "./shards.mjs";
import { WranglerDev, benchWranglerConfig, freePort, killAllSync, runWranglerOk, wranglerVersion } from "./wrangler-process.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const started = Date.now();
const log = (msg) => process.stderr.write(`[bench ${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s] ${msg}\n`);

let opts;
try {
  opts = parseOptions(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`${err.message}\n\n${HELP}`);
  process.exit(64);
}
if (opts.help) {
  process.stdout.write(HELP);
  process.exit(0);
}

/** @type {WranglerDev | undefined} */
let dev;
let persistDir = "";
/** wrangler.toml with the SCIM rate limits raised (benchWranglerConfig), written into the persist dir. */
let configPath = "";
let stopping = false;

/** The shard part's own persist directory and its current wrangler dev (shards.mjs). */
let shardPersistDir = "";
const shardState = { dev: undefined };

async function cleanup() {
  if (dev) await dev.stop().catch(() => undefined);
  if (shardState.dev) await shardState.dev.stop().catch(() => undefined);
  killAllSync("SIGKILL");
  for (const dir of [persistDir, shardPersistDir]) if (dir && !opts.keep) rmSync(dir, { recursive: true, force: true });
}

for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(sig, () => {
    if (stopping) return;
    stopping = true;
    log(`${sig}: stopping wrangler`);
    cleanup().finally(() => process.exit(sig === "SIGINT" ? 130 : 143));
  });
}
process.on("exit", () => killAllSync("SIGKILL"));

const d1 = (args) => runWranglerOk(["d1", "execute", "DB", "--local", "--persist-to", persistDir, "--config", configPath, ...args], { cwd: ROOT, timeoutMs: 600_000 });

/** Runs SELECTs with `wrangler d1 execute --json`; returns the result rows of each statement. */
async function d1Query(sql) {
  const r = await d1(["--command", sql, "--json"]);
  const parsed = JSON.parse(r.stdout.slice(r.stdout.indexOf("[")));
  return parsed.map((x) => x.results ?? []);
}

async function d1File(name, sql) {
  const file = path.join(persistDir, `${name}.sql`);
  writeFileSync(file, sql);
  await d1(["--file", file]);
}

function gitCommit() {
  try {
    return execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return "unknown";
  }
}

const results = {
  meta: {},
  healthz: undefined,
  rows: [],
  flips: [],
  bursts: [],
  /** Per size: the hostile mix (hostileRequests), each request's status, rows and statements, and the worst. */
  worst: [],
  feedPages: [],
  sweep: undefined,
  shape: undefined,
  problems: [],
};

async function main() {
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const outDir = path.resolve(opts.out ?? path.join(ROOT, "bench", "results", stamp));
  mkdirSync(outDir, { recursive: true });
  const runTag = randomBytes(3).toString("hex");

  results.meta = {
    date: new Date().toISOString(),
    machine: {
      cores: os.cpus().length,
      cpu: os.cpus()[0]?.model?.trim() ?? "unknown",
      memoryGiB: (os.totalmem() / 2 ** 30).toFixed(1),
      platform: `${os.platform()} ${os.release()} ${os.arch()}`,
      // Other work on the machine moves the figures: the 1, 5 and 15 min load averages at the start.
      loadAverage: os.loadavg().map((x) => Number(x.toFixed(2))),
    },
    node: process.version,
    wrangler: await wranglerVersion(ROOT),
    commit: gitCommit(),
    command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(" ")}` : ""}`,
    options: { ...opts, help: undefined },
  };
  log(`node ${process.version}, wrangler ${results.meta.wrangler}, commit ${results.meta.commit}`);
  if (opts.scenario !== "shards") await sizesPart(runTag);
  if (opts.scenario !== "sizes") {
    shardPersistDir = mkdtempSync(path.join(os.tmpdir(), "scim-edge-bench-shards-"));
    log(`shards: persist ${shardPersistDir}`);
    await runShards({ opts, root: ROOT, persistDir: shardPersistDir, log, results, state: shardState, adminToken: randomBytes(24).toString("base64url") });
  }

  const md = writeReport(outDir, results);
  process.stdout.write(`${md}\n`);
  log(`results in ${path.relative(process.cwd(), outDir) || outDir} (${((Date.now() - started) / 1000).toFixed(0)} s)`);

  const broken =
    results.rows.some((r) => r.budget?.met === false) || results.sweep?.budget?.met === false || results.worstBudget?.met === false || results.shards?.routing?.met === false;
  const unmeasured = results.rows.some((r) => r.status !== "ok") || results.sweep?.error || results.problems.length > 0;
  if (broken) {
    log("a D1 row budget is broken");
    return 1;
  }
  if (unmeasured) {
    log("some operations could not be measured (see the table)");
    return 2;
  }
  return 0;
}

/** The single-database run: seed check, sweep, /healthz, every operation at every size. */
async function sizesPart(runTag) {
  persistDir = mkdtempSync(path.join(os.tmpdir(), "scim-edge-bench-"));
  log(`persist ${persistDir}`);
  configPath = path.join(persistDir, "wrangler.bench.toml");
  writeFileSync(configPath, benchWranglerConfig(readFileSync(path.join(ROOT, "wrangler.toml"), "utf8"), ROOT));
  log("applying migrations");
  await runWranglerOk(["d1", "migrations", "apply", "DB", "--local", "--persist-to", persistDir, "--config", configPath], { cwd: ROOT, timeoutMs: 120_000 });

  const port = await freePort();
  const adminToken = randomBytes(24).toString("base64url");
  dev = new WranglerDev({ cwd: ROOT, persistTo: persistDir, port, adminToken, testScheduled: true, config: configPath }).start();
  dev.onLine(recordLogWrite);
  log(`starting wrangler dev on 127.0.0.1:${port}`);
  await dev.waitHealthy(120_000);
  const admin = new AdminClient(dev.baseUrl, adminToken);

  await shapeCheck(admin);
  await sweep(admin);

  log("measuring GET /healthz (floor)");
  const floorBefore = await measure({ baseUrl: dev.baseUrl, connections: opts.connections, durationS: opts.duration, rounds: opts.rounds, next: () => ({ method: "GET", path: "/healthz" }) });

  for (const size of opts.sizes) await benchSize(admin, size, runTag);

  log("measuring GET /healthz again (floor after)");
  const floorAfter = await measure({ baseUrl: dev.baseUrl, connections: opts.connections, durationS: opts.duration, rounds: opts.rounds, next: () => ({ method: "GET", path: "/healthz" }) });
  // The floor: the better of the two (the machine was at least this fast at healthz in this run).
  results.healthz = (floorAfter.rps ?? 0) > (floorBefore.rps ?? 0) ? floorAfter : floorBefore;
  results.healthzRuns = [floorBefore, floorAfter];
  for (const r of results.rows) if (r.rps && results.healthz.rps) r.ratio = r.rps / results.healthz.rps;

  judgeBudgets();
  judgeWorst();

  await dev.stop();
  dev = undefined;
}

/**
 * Seeds one user + one licensing group through the API in one tenant and the
 * same with the SQL generator in another, then compares their rows.
 */
async function shapeCheck(admin) {
  log("seed check: one user and one group through the API vs through SQL");
  try {
    const a = await admin.createTenant("bench-shape-api", "bench shape (API)");
    await admin.createTenantOnly("bench-shape-sql", "bench shape (SQL)");
    const LA = new TenantLayout({ tenantId: a.id, users: 1, groupMembers: 1, teams: 0 });
    // Same salt: same ids' random bits and externalIds, so docs can be compared byte for byte.
    const LS = new TenantLayout({ tenantId: "bench-shape-sql", users: 1, groupMembers: 1, teams: 0, salt: LA.salt });
    const u = await request(`${a.scimBase}/Users`, { method: "POST", token: a.token, body: userBody(LA, 0) });
    if (u.status !== 201) throw new Error(`POST /Users → ${u.status} ${u.text.slice(0, 160)}`);
    const g = await request(`${a.scimBase}/Groups`, {
      method: "POST",
      token: a.token,
      body: { ...groupBody(LA.groupName(), "True"), members: [{ value: u.json.id }] },
    });
    if (g.status !== 201) throw new Error(`POST /Groups → ${g.status} ${g.text.slice(0, 160)}`);
    await d1File("shape", tenantSeedSql(LS));
    const read = async (t) => {
      const [users, groups, memberships, licences, stats] = await d1Query(
        ["users", "groups", "memberships", "licences", "tenant_stats"].map((table) => `SELECT * FROM ${table} WHERE tenant_id = '${t}'`).join("; "),
      );
      return { users, groups, memberships, licences, tenant_stats: stats };
    };
    const diffs = compareShapes(await read(a.id), await read("bench-shape-sql"));
    results.shape = { diffs };
    if (diffs.length) {
      log(`seed check: ${diffs.length} difference(s):\n  ${diffs.join("\n  ")}`);
      results.problems.push(`seed check: ${diffs.length} column(s) differ between API-made and SQL-made rows (see below)`);
    }
    else log("seed check: same shape");
  } catch (err) {
    results.shape = { diffs: [], error: err.message };
    log(`seed check not possible: ${err.message}`);
  }
}

/** 10,000 expired licences across 50 tenants, then one scheduled run (more if some are left). */
async function sweep(admin) {
  const total = opts.sweepLicences;
  const tenants = Math.min(opts.sweepTenants, Math.max(1, total));
  const budget = { text: "rows read ≤ 18 × expired + 1000 (O(expired): index range, grouped counters, licence.expired events, delete, clear hints)", met: null, why: "" };
  results.sweep = { expired: total, tenants, runs: [], pages: [], budget };
  if (total === 0) return;
  log(`sweep: seeding ${total} expired licences across ${tenants} tenants`);
  try {
    const per = Math.floor(total / tenants);
    let sql = "";
    for (let k = 0; k < tenants; k++) {
      const id = `bench-sweep-${k}`;
      await admin.createTenantOnly(id, `bench sweep ${k}`);
      const count = per + (k < total % tenants ? 1 : 0);
      sql += sweepSeedSql(new TenantLayout({ tenantId: id, users: count, groupMembers: 0, teams: 0 }));
    }
    await d1File("sweep", sql);
    const now = Date.now();
    const expiredSql = `SELECT count(*) AS n FROM licences WHERE tenant_id LIKE 'bench-sweep-%' AND status = 'downgraded' AND expires_at <= ${now}`;
    const [[before]] = await d1Query(expiredSql);
    if (before.n !== total) throw new Error(`seeded ${before.n} expired licences, expected ${total}`);

    /** @type {any[]} */
    const lines = [];
    const off = dev.onLine((line) => {
      const i = line.indexOf("{");
      if (i < 0 || !/sweep/i.test(line)) return;
      try {
        lines.push(JSON.parse(line.slice(i)));
      } catch {
        // not a JSON line
      }
    });
    for (let run = 0; run < 10; run++) {
      const r = await request(`${dev.baseUrl}/__scheduled?cron=${encodeURIComponent("*/15 * * * *").replace(/%20/g, "+")}`, { timeoutMs: 300_000 });
      results.sweep.runs.push({ status: r.status, ms: r.ms });
      log(`sweep run ${run + 1}: HTTP ${r.status} in ${r.ms.toFixed(0)} ms`);
      if (r.status !== 200) throw new Error(`GET /__scheduled → ${r.status} ${r.text.slice(0, 200)}`);
      const [[left]] = await d1Query(expiredSql);
      results.sweep.remaining = left.n;
      if (left.n === 0) break;
    }
    await new Promise((res) => setTimeout(res, 300)); // last log lines
    off();
    // Pages: sweep lines carrying row counts; a line with `pages` (or a summary type) is a total, not a page.
    const num = (o, ...keys) => keys.map((k) => o[k]).find((v) => typeof v === "number");
    for (const l of lines) {
      const read = num(l, "rowsRead", "rows_read");
      if (read === undefined) continue;
      const entry = { statements: num(l, "statements", "d1Statements"), rowsRead: read, rowsWritten: num(l, "rowsWritten", "rows_written") };
      if (l.pages !== undefined || /summary|done|end|total/i.test(String(l.type ?? l.event ?? ""))) results.sweep.summary = entry;
      else results.sweep.pages.push(entry);
    }
    // Totals: the summary line when the sweep writes one (it has rows written too), else the sum of the pages.
    const src = results.sweep.summary ? [results.sweep.summary] : results.sweep.pages;
    if (src.length) {
      results.sweep.statements = src.reduce((s, p) => s + (p.statements ?? 0), 0);
      results.sweep.rowsRead = src.reduce((s, p) => s + (p.rowsRead ?? 0), 0);
      results.sweep.rowsWritten = src.reduce((s, p) => s + (p.rowsWritten ?? 0), 0);
      const limit = 18 * total + 1000;
      budget.met = results.sweep.rowsRead <= limit;
      if (!budget.met) budget.why = `${results.sweep.rowsRead} > ${limit}`;
    } else {
      budget.why = "the sweep logged no rows (no JSON line with rowsRead)";
    }
    if (results.sweep.remaining > 0) results.problems.push(`sweep: ${results.sweep.remaining} expired licence(s) left after ${results.sweep.runs.length} run(s)`);
  } catch (err) {
    results.sweep.error = err.message;
    log(`sweep failed: ${err.message}`);
  }
}

/** Creates, seeds and measures one tenant size. */
async function benchSize(admin, size, runTag) {
  const tenantId = `bench-n${size}`;
  log(`size ${size}: creating tenant and seeding ${size} users, group of ${Math.min(opts.groupSize, size)}`);
  const t = await admin.createTenant(tenantId, `bench ${size} users`);
  const L = new TenantLayout({ tenantId, users: size, groupMembers: opts.groupSize });
  await d1File(`seed-${size}`, tenantSeedSql(L));
  // The dev server must see the rows: its own stats counter and a GET of the last user.
  const stats = await admin.stats(tenantId).catch((e) => ({ error: e.message }));
  if (stats?.users !== size) results.problems.push(`size ${size}: admin stats after seeding: ${JSON.stringify(stats)} (expected users = ${size})`);
  const check = await request(`${t.scimBase}/Users/${L.userId(size - 1)}`, { token: t.token });
  if (check.status !== 200) log(`size ${size}: GET of a seeded user → ${check.status} (route missing or seed not visible)`);

  const scimPath = `/tenants/${tenantId}/scim/v2`;
  const ctx = sizeContext(L, scimPath, t.token, `${runTag}-${size}`);
  for (const sc of SCENARIOS) {
    const row = { key: sc.key, short: sc.key, label: sc.label, size, status: "ok", note: "", budgetKey: sc.budget };
    results.rows.push(row);
    const gen = sc.make(ctx);
    if ("skip" in gen) {
      row.status = "skipped";
      row.note = gen.skip;
      continue;
    }
    // Sample the D1 headers on a few requests (targets from the same pool).
    const samples = [];
    const lookupReads = [];
    for (let k = 0; k < opts.samples; k++) {
      const target = gen.next();
      if (!target) break;
      const r = await request(`${dev.baseUrl}${target.path}`, { method: target.method, token: t.token, body: target.body });
      gen.onResponse?.(r.status, r.text);
      samples.push(r);
      if (!sc.ok(r.status)) break;
      if (BUDGETS[sc.budget ?? ""]?.maxLookupRead !== undefined) {
        const l = lookupOnly(target);
        const lr = await request(`${dev.baseUrl}${l.path}`, { method: l.method, token: t.token });
        if (lr.rowsRead !== null) lookupReads.push(lr.rowsRead);
      }
    }
    row.sampleStatuses = samples.map((s) => s.status);
    const bad = samples.find((s) => !sc.ok(s.status));
    if (samples.length === 0) {
      row.status = "skipped";
      row.note = "no targets left";
      continue;
    }
    if (bad) {
      row.status = "failed";
      row.note = `HTTP ${bad.status}${bad.status === 404 || bad.status === 405 ? " (route missing?)" : ""}: ${(bad.json?.detail ?? bad.text).slice(0, 100)}`;
      log(`size ${size} ${sc.key}: ${row.note}`);
      continue;
    }
    const reads = samples.map((s) => s.rowsRead).filter((v) => v !== null);
    const writes = samples.map((s) => s.rowsWritten).filter((v) => v !== null);
    row.rowsRead = reads.length ? [Math.min(...reads), Math.max(...reads)] : null;
    row.rowsWritten = writes.length ? [Math.min(...writes), Math.max(...writes)] : null;
    if (lookupReads.length) row.lookupRead = [Math.min(...lookupReads), Math.max(...lookupReads)];
    // The provisioning log entry of each sample: written after the response, so not in its headers.
    const logWritten = await logRowsWritten(samples);
    if (logWritten.length === samples.length && writes.length === samples.length) {
      row.logRowsWritten = [Math.min(...logWritten), Math.max(...logWritten)];
      const total = samples.map((s, i) => s.rowsWritten + logWritten[i]);
      row.rowsWrittenWithLog = [Math.min(...total), Math.max(...total)];
    } else {
      results.problems.push(`size ${size} ${sc.key}: ${logWritten.length} of ${samples.length} samples reported their provisioning log write`);
    }
    const m = await measure({
      baseUrl: dev.baseUrl,
      token: t.token,
      connections: opts.connections,
      durationS: opts.duration,
      rounds: opts.rounds,
      next: gen.next,
      remaining: gen.remaining,
      onResponse: gen.onResponse,
    });
    Object.assign(row, { rps: m.rps, p50: m.p50, p99: m.p99, requests: m.requests, non2xx: m.non2xx, errors: m.errors, statusCodes: m.statusCodes, rounds: m.rounds });
    if (m.non2xx || m.errors) {
      row.note = `${m.non2xx} non-2xx, ${m.errors} errors of ${m.requests}: ${JSON.stringify(m.statusCodes)}`;
      results.problems.push(`size ${size} ${sc.key}: ${row.note}`);
    }
    log(`size ${size} ${sc.key}: ${m.rps?.toFixed(0)} req/s, p50 ${m.p50} ms, p99 ${m.p99} ms, rows ${JSON.stringify(row.rowsRead)}/${JSON.stringify(row.rowsWritten)}`);
  }

  await worstRequest(t, ctx, size);

  // Licence flips on the big group: timed one by one.
  for (let k = 0; k < opts.flips; k++) {
    for (const value of ["False", "True"]) {
      const r = await request(`${t.scimBase}/Groups/${L.groupId()}`, { method: "PATCH", token: t.token, body: licenceFlipBody(value), timeoutMs: 600_000 });
      results.flips.push({ size, members: L.groupMembers, value, status: r.status, ms: r.ms, rowsRead: r.rowsRead, rowsWritten: r.rowsWritten });
      log(`size ${size} licence flip "${value}": HTTP ${r.status} in ${r.ms.toFixed(0)} ms, rows ${r.rowsRead}/${r.rowsWritten}`);
      if (r.status >= 300) {
        results.problems.push(`size ${size} licence flip "${value}": HTTP ${r.status} ${r.text.slice(0, 100)}`);
        k = opts.flips;
        break;
      }
    }
  }
  // Last, so the bursts' changes do not touch what the scenarios and flips measured.
  if (opts.bursts > 0) await concurrentBursts(t, L, size);
  await feedPages(admin, tenantId, size);
}

/**
 * Bursts of BURST_WRITERS PATCHes of one resource started together, with
 * no If-Match: every one must succeed and keep its change. Reports the
 * retries the optimistic write needed (x-write-attempts) and the latency.
 */
async function concurrentBursts(t, L, size) {
  const writers = BURST_WRITERS;
  for (const kind of ["user", "group"]) {
    const replies = [];
    for (let b = 0; b < opts.bursts; b++) {
      // A user of the seeded tenant, or its big group (member adds plus attribute changes).
      const target = kind === "user" ? `${t.scimBase}/Users/${L.userId((b * 7919) % L.users)}` : `${t.scimBase}/Groups/${L.groupId()}`;
      const bodies = Array.from({ length: writers }, (_, w) => ({
        schemas: [PATCH_OP],
        Operations:
          kind === "user"
            ? [{ op: "replace", path: BURST_USER_PATHS[w % BURST_USER_PATHS.length], value: `burst ${b}.${w}` }]
            : w % 2 === 0
              ? [{ op: "replace", path: "externalId", value: `burst-${b}.${w}` }]
              : [{ op: "add", path: "members", value: [{ value: L.userId((b * writers + w) % L.users) }] }],
      }));
      replies.push(...(await Promise.all(bodies.map((body) => request(target, { method: "PATCH", token: t.token, body })))));
    }
    const ok = replies.filter((r) => r.status < 300);
    const attempts = replies.map((r) => r.writeAttempts ?? 1);
    const ms = replies.map((r) => r.ms).sort((a, b) => a - b);
    const pct = (q) => ms[Math.min(ms.length - 1, Math.floor(q * ms.length))];
    const entry = {
      size,
      kind,
      writers,
      bursts: opts.bursts,
      requests: replies.length,
      succeeded: ok.length,
      statuses: [...new Set(replies.map((r) => r.status))],
      retries: attempts.reduce((a, n) => a + n - 1, 0),
      maxAttempts: Math.max(...attempts),
      p50: pct(0.5),
      p99: pct(0.99),
    };
    results.bursts.push(entry);
    log(`size ${size} concurrent ${kind} PATCH: ${entry.succeeded}/${entry.requests} ok, ${entry.retries} retries (max ${entry.maxAttempts} attempts), p50 ${entry.p50.toFixed(0)} ms, p99 ${entry.p99.toFixed(0)} ms`);
    if (entry.succeeded !== entry.requests) results.problems.push(`size ${size} concurrent ${kind} PATCH: ${entry.requests - entry.succeeded} of ${entry.requests} failed (${entry.statuses.join(", ")})`);
  }
}

/**
 * The provisioning log's cost per request: the worker writes each SCIM
 * request's entry after the response (waitUntil), so its rows are not in the
 * response's x-d1-rows-written; with EXPOSE_DB_METRICS it prints one JSON
 * line `{"type":"provisioning-log-write","requestId",…,"rowsWritten"}` once
 * written. Lines are kept by request id.
 * @type {Map<string, { rowsRead: number, rowsWritten: number }>}
 */
const logWrites = new Map();

/** @param {string} line */
function recordLogWrite(line) {
  const i = line.indexOf("{");
  if (i < 0 || !line.includes("provisioning-log-write")) return;
  try {
    const l = JSON.parse(line.slice(i));
    if (l.type === "provisioning-log-write" && typeof l.requestId === "string") logWrites.set(l.requestId, { rowsRead: l.rowsRead, rowsWritten: l.rowsWritten });
  } catch {
    // not a JSON line
  }
}

/** Rows written by the log entries of `samples` (by their x-request-id), waiting up to 5 s for the last lines. */
async function logRowsWritten(samples) {
  const ids = samples.map((s) => s.requestId).filter(Boolean);
  const deadline = Date.now() + 5_000;
  while (ids.some((id) => !logWrites.has(id)) && Date.now() < deadline) await new Promise((res) => setTimeout(res, 50));
  return ids.filter((id) => logWrites.has(id)).map((id) => logWrites.get(id).rowsWritten);
}

/**
 * The change feed's read cost: the first page of 100 events and one deep in
 * the feed (after every event the size's scenarios wrote), rows read each.
 */
async function feedPages(admin, tenantId, size) {
  const get = (query) => request(`${admin.baseUrl}/admin/tenants/${tenantId}/events?limit=100${query}`, { token: admin.adminToken });
  const first = await get("");
  let deep = first;
  let pages = 0;
  for (let cursor = first.json?.nextCursor; cursor && pages < 10_000; pages++) {
    const next = await get(`&after=${encodeURIComponent(cursor)}`);
    if (!next.json?.events?.length) break;
    deep = next;
    cursor = next.json.nextCursor;
  }
  const entry = { size, events: (pages + 1) * 100, firstRead: first.rowsRead, deepRead: deep.rowsRead, status: [first.status, deep.status] };
  results.feedPages.push(entry);
  log(`size ${size} change feed: first page ${entry.firstRead} rows read, last full page (after ~${entry.events} events) ${entry.deepRead}`);
}

/**
 * The hostile mix (scenarios.mjs hostileRequests), each request once: its
 * status (200, or 400 tooMany), rows read and statements. The size's worst
 * request is the one that read the most rows.
 */
async function worstRequest(t, ctx, size) {
  const requests = [];
  for (const h of hostileRequests(ctx)) {
    const r = await request(`${dev.baseUrl}${h.path}`, { method: h.method, token: t.token, body: h.body, timeoutMs: 300_000 });
    const entry = { key: h.key, label: h.label, status: r.status, scimType: r.json?.scimType, rowsRead: r.rowsRead, statements: r.statements, ms: r.ms };
    requests.push(entry);
    if (!(r.status === 200 || (r.status === 400 && r.json?.scimType === "tooMany"))) {
      results.problems.push(`size ${size} worst-request mix, ${h.label}: HTTP ${r.status} ${(r.json?.detail ?? r.text).slice(0, 120)}`);
    }
  }
  const measured = requests.filter((r) => r.rowsRead !== null);
  const worst = measured.reduce((a, b) => (b.rowsRead > a.rowsRead ? b : a), measured[0] ?? { rowsRead: null });
  const statements = Math.max(...measured.map((r) => r.statements ?? 0));
  results.worst.push({ size, requests, worst, statements });
  log(`size ${size} worst request of ${requests.length}: ${worst.rowsRead} rows read (${worst.label}, HTTP ${worst.status}); at most ${statements} statements`);
}

/** The worst request: under HOSTILE_BUDGET at every size, and no larger at the largest size than at the smallest ≥ 10,000. */
function judgeWorst() {
  if (results.worst.length === 0) return;
  const why = [];
  for (const w of results.worst) {
    if (w.worst.rowsRead === null) why.push(`size ${w.size}: no x-d1-rows-read header`);
    else if (w.worst.rowsRead > HOSTILE_BUDGET.maxRead) why.push(`size ${w.size}: ${w.worst.rowsRead} read`);
    if (w.statements > HOSTILE_BUDGET.maxStatements) why.push(`size ${w.size}: ${w.statements} statements`);
  }
  const large = results.worst.filter((w) => w.size >= 10_000 && w.worst.rowsRead !== null).sort((a, b) => a.size - b.size);
  if (large.length >= 2) {
    const [first, last] = [large[0], large[large.length - 1]];
    // Flat: the same limits bind at every size; a few rows of slack for counters and page ends.
    if (last.worst.rowsRead > first.worst.rowsRead * 1.05 + 10) why.push(`grows from ${first.worst.rowsRead} at ${first.size} to ${last.worst.rowsRead} at ${last.size} users`);
  }
  results.worstBudget = { text: HOSTILE_BUDGET.text, met: why.length === 0, why: why.join(", ") };
}

/** Marks each row's budget met / not met; `flat` budgets compare the figure across sizes. */
function judgeBudgets() {
  for (const r of results.rows) {
    if (!r.budgetKey) continue;
    const b = BUDGETS[r.budgetKey];
    r.budget = { text: b.text, met: null, why: "" };
    if (r.status !== "ok") continue;
    if (r.rowsRead === null || r.rowsWritten === null) {
      r.budget.why = "no x-d1-rows-* headers";
      continue;
    }
    const why = [];
    if (b.maxRead !== undefined && r.rowsRead[1] > b.maxRead) why.push(`${r.rowsRead[1]} read`);
    if (b.maxWritten !== undefined && r.rowsWritten[1] > b.maxWritten) why.push(`${r.rowsWritten[1]} written`);
    if (b.maxLookupRead !== undefined) {
      if (!r.lookupRead) why.push("lookup rows not measured");
      else {
        if (r.lookupRead[1] > b.maxLookupRead) why.push(`lookup ${r.lookupRead[1]} read`);
        if (r.rowsRead[1] > r.lookupRead[0] + b.groupsRead) why.push(`${r.rowsRead[1]} read with groups`);
      }
    }
    if (b.flat) {
      const others = results.rows.filter((o) => o.key === r.key && o.status === "ok" && o.rowsRead);
      for (const field of ["rowsRead", "lookupRead"]) {
        const values = new Set(others.flatMap((o) => o[field] ?? []));
        if (values.size > 1) why.push(`${field} varies with size: ${[...values].join(", ")}`);
      }
    }
    r.budget.met = why.length === 0;
    r.budget.why = why.join(", ");
  }
}

main()
  .then(async (code) => {
    await cleanup();
    process.exit(code);
  })
  .catch(async (err) => {
    log(`error: ${err.stack ?? err.message}`);
    const last = dev ?? shardState.dev;
    if (last) log(`last wrangler output:\n${last.recent.slice(-30).join("\n")}`);
    await cleanup();
    process.exit(3);
  });
