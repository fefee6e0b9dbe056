// The multi-tenant load (bench/README.md, "Shards"): many seeded tenants,
// each request from a tenant drawn at random, an operation drawn from
// Entra's provisioning mix. Every response's `x-d1-statements-by-binding`
// is checked: a SCIM request must send its statements to exactly one D1
// binding, its tenant's shard (docs/sharding.md).

import autocannon from "autocannon";
import { randomUUID } from "node:crypto";
import { cpuShare, cpuSnapshot } from "./cpu-share.mjs";
import { median } from "./load.mjs";
import { entraUserPatch, PATCH_OP, permutation } from "./scenarios.mjs";
import { TenantLayout, newUserBody } from "./seed.mjs";

/** Empty groups seeded per tenant: the targets of the member adds. */
export const TEAMS = 5;

/**
 * Entra's provisioning cycle, by weight: a lookup by userName before every
 * create or update (half find nobody: the user is about to be created), the
 * create, attribute updates, and group member adds.
 */
export const MIX = [
  { key: "lookup", label: "GET /Users?filter=userName eq (half find nobody)", weight: 40 },
  { key: "create", label: "POST /Users (Entra body)", weight: 20 },
  { key: "update", label: "PATCH /Users/{id} Replace name, work email, displayName", weight: 25 },
  { key: "member-add", label: 'PATCH /Groups/{id} Add members [{"value":id}]', weight: 15 },
];
const MIX_TOTAL = MIX.reduce((s, m) => s + m.weight, 0);

const JSON_HEADERS = { accept: "application/scim+json", "content-type": "application/scim+json" };

/** One seeded tenant under load: its shard, token and the pools its targets come from. */
export class LoadTenant {
  /**
   * @param {{ id: string, shard: string, token: string, users: number, runTag: string }} o
   */
  constructor({ id, shard, token, users, runTag }) {
    this.id = id;
    this.shard = shard;
    this.token = token;
    this.layout = new TenantLayout({ tenantId: id, users, groupMembers: users, teams: TEAMS });
    this.scimPath = `/tenants/${id}/scim/v2`;
    this.runTag = runTag;
    this.readOrder = permutation(users);
    this.writeOrder = permutation(users);
    // (user, team) pairs, each added once before any repeats.
    this.pairs = permutation(users * TEAMS);
    this.n = { lookup: 0, create: 0, update: 0, member: 0 };
  }

  /** The request of operation `op` for this tenant. */
  target(op) {
    const L = this.layout;
    const U = L.users;
    const enc = encodeURIComponent;
    switch (op) {
      case "lookup": {
        const k = this.n.lookup++;
        const name = k % 2 ? L.userName(this.readOrder[k % U]) : `${randomUUID()}@example.com`;
        return { method: "GET", path: `${this.scimPath}/Users?filter=${enc(`userName eq "${name}"`)}` };
      }
      case "create": {
        const body = newUserBody(L, "Load", this.runTag, this.n.create++);
        return { method: "POST", path: `${this.scimPath}/Users`, body: JSON.stringify(body) };
      }
      case "update": {
        const v = this.n.update++;
        const u = this.writeOrder[v % U];
        const body = entraUserPatch(u, v);
        return { method: "PATCH", path: `${this.scimPath}/Users/${L.userId(u)}`, body: JSON.stringify(body) };
      }
      case "member-add": {
        const p = this.pairs[this.n.member++ % this.pairs.length];
        const body = { schemas: [PATCH_OP], Operations: [{ op: "Add", path: "members", value: [{ value: L.userId(p % U) }] }] };
        return { method: "PATCH", path: `${this.scimPath}/Groups/${L.teamId(Math.floor(p / U))}`, body: JSON.stringify(body) };
      }
      default:
        throw new Error(`unknown operation ${op}`);
    }
  }
}

/** A random operation of the mix. */
function drawOp() {
  let x = Math.random() * MIX_TOTAL;
  for (const m of MIX) {
    if ((x -= m.weight) < 0) return m.key;
  }
  return MIX[MIX.length - 1].key;
}

/** "DB=1,DB_2=6" → { DB: 1, DB_2: 6 }; null when the header is missing. */
export function parseBindingCounts(header) {
  if (typeof header !== "string") return null;
  const out = {};
  for (const part of header.split(",")) {
    const [name, n] = part.split("=");
    if (name && n !== undefined) out[name.trim()] = Number(n);
  }
  return out;
}

const headerOf = (headers, name) => {
  const v = headers[name] ?? headers[name.toLowerCase()] ?? Object.entries(headers).find(([k]) => k.toLowerCase() === name)?.[1];
  return Array.isArray(v) ? v[0] : v;
};

/** Per-operation figures of a run: latency samples, statuses, statements per binding, rows. */
class OperationStats {
  constructor() {
    this.ms = [];
    this.statuses = {};
    /** binding → [min, max] statements of one request. */
    this.statements = {};
    /** binding → requests it served. */
    this.requestsByBinding = {};
    this.rowsRead = [Infinity, -Infinity];
    this.rowsWritten = [Infinity, -Infinity];
  }

  add(ms, status, counts, read, written) {
    this.ms.push(ms);
    this.statuses[status] = (this.statuses[status] ?? 0) + 1;
    for (const [binding, n] of Object.entries(counts ?? {})) {
      const r = (this.statements[binding] ??= [Infinity, -Infinity]);
      r[0] = Math.min(r[0], n);
      r[1] = Math.max(r[1], n);
      this.requestsByBinding[binding] = (this.requestsByBinding[binding] ?? 0) + 1;
    }
    if (Number.isFinite(read)) this.rowsRead = [Math.min(this.rowsRead[0], read), Math.max(this.rowsRead[1], read)];
    if (Number.isFinite(written)) this.rowsWritten = [Math.min(this.rowsWritten[0], written), Math.max(this.rowsWritten[1], written)];
  }

  summary() {
    const sorted = [...this.ms].sort((a, b) => a - b);
    const pct = (q) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : undefined);
    const finite = (r) => (Number.isFinite(r[0]) ? r : null);
    return {
      requests: this.ms.length,
      p50: pct(0.5),
      p99: pct(0.99),
      statuses: this.statuses,
      statements: this.statements,
      requestsByBinding: this.requestsByBinding,
      rowsRead: finite(this.rowsRead),
      rowsWritten: finite(this.rowsWritten),
    };
  }
}

/**
 * One round of `durationS` seconds of the mix over `tenants` with
 * `connections` concurrent connections (each one request at a time).
 * Each response goes into `ops` (per operation) and, when its statements
 * did not go to exactly its tenant's shard, into `misrouted`.
 */
function mixRound({ baseUrl, tenants, connections, durationS, ops, misrouted }) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let lastResponseAt = started;
    /** Responses answered in each second of the round: a stall shows as a run of zeros. */
    const perSecond = [];
    const instance = autocannon(
      {
        url: baseUrl,
        connections,
        pipelining: 1,
        duration: durationS,
        timeout: 30,
        headers: JSON_HEADERS,
        requests: [
          {
            setupRequest(req, context) {
              const tenant = tenants[Math.floor(Math.random() * tenants.length)];
              const op = drawOp();
              const t = tenant.target(op);
              context.tenant = tenant;
              context.op = op;
              context.started = performance.now();
              req.method = t.method;
              req.path = t.path;
              req.body = t.body;
              // A fresh object: autocannon keeps the headers object across requests, and a
              // POST's Content-Length left on the next GET makes the server wait for a body.
              req.headers = { ...JSON_HEADERS, authorization: `Bearer ${tenant.token}` };
              return req;
            },
            onResponse(status, _body, context, headers) {
              const ms = performance.now() - context.started;
              const counts = parseBindingCounts(headerOf(headers, "x-d1-statements-by-binding"));
              ops?.get(context.op)?.add(ms, status, counts, Number(headerOf(headers, "x-d1-rows-read")), Number(headerOf(headers, "x-d1-rows-written")));
              // The tenant's shard, and only it.
              const bindings = counts ? Object.keys(counts) : [];
              if (!counts) misrouted.missingHeader += 1;
              else if (bindings.length !== 1 || bindings[0] !== context.tenant.shard) {
                misrouted.count += 1;
                if (misrouted.examples.length < 5) misrouted.examples.push({ op: context.op, tenant: context.tenant.id, shard: context.tenant.shard, statements: counts, status });
              }
              misrouted.checked += 1;
            },
          },
        ],
      },
      (err, result) => {
        if (err) return reject(err);
        const statusCodes = {};
        for (const [k, v] of Object.entries(result.statusCodeStats ?? {})) statusCodes[k] = v.count;
        resolve({
          // Over the time requests were answered (as load.mjs measures a round).
          rps: result.requests.total / Math.max((lastResponseAt - started) / 1000, 0.001),
          p50: result.latency.p50,
          p99: result.latency.p99,
          total: result.requests.total,
          non2xx: result.non2xx,
          errors: result.errors,
          statusCodes,
          perSecond,
        });
      },
    );
    instance.on("response", () => {
      lastResponseAt = performance.now();
      const second = Math.floor((lastResponseAt - started) / 1000);
      while (perSecond.length <= second) perSecond.push(0);
      perSecond[second] += 1;
    });
  });
}

/**
 * What the measured rounds of one shard count add up to: the rounds run
 * interleaved with the other shard counts' (shards.mjs), each on a freshly
 * started worker, so a change in the machine's other load falls on every
 * shard count alike.
 */
export class LoadRecord {
  constructor() {
    this.ops = new Map(MIX.map((m) => [m.key, new OperationStats()]));
    this.misrouted = { count: 0, missingHeader: 0, checked: 0, examples: [] };
    this.rounds = [];
    this.warmups = [];
  }

  /**
   * A warm-up round (the worker was just started: its isolate compiles,
   * each shard's schema is checked once; counted for routing only), then one
   * measured round, with where the machine's CPU went during it
   * (cpu-share.mjs).
   * @param {{ baseUrl: string, tenants: LoadTenant[], connections: number, durationS: number, warmupS: number, pgid?: number }} o
   */
  async round({ baseUrl, tenants, connections, durationS, warmupS, pgid }) {
    if (warmupS > 0) {
      const w = await mixRound({ baseUrl, tenants, connections, durationS: warmupS, misrouted: this.misrouted });
      this.warmups.push({ durationS: warmupS, requests: w.total, non2xx: w.non2xx, errors: w.errors, perSecond: w.perSecond });
    }
    const before = cpuSnapshot(pgid);
    const r = await mixRound({ baseUrl, tenants, connections, durationS, ops: this.ops, misrouted: this.misrouted });
    this.rounds.push({ ...r, cpu: cpuShare(before, cpuSnapshot(pgid)) });
    return this.rounds[this.rounds.length - 1];
  }

  /** Medians of the rounds (req/s, p50, p99 from autocannon), figures per operation over them, routing. */
  summary() {
    const perOp = {};
    for (const [key, s] of this.ops) perOp[key] = s.summary();
    const requestsByShard = {};
    for (const s of Object.values(perOp)) for (const [b, n] of Object.entries(s.requestsByBinding)) requestsByShard[b] = (requestsByShard[b] ?? 0) + n;
    const rs = this.rounds;
    const cpuOf = (k) => Math.round(10 * median(rs.map((r) => r.cpu?.[k]).filter((x) => x !== undefined))) / 10;
    const sum = (list, k) => list.reduce((s, x) => s + (x[k] ?? 0), 0);
    return {
      rounds: rs.length,
      rps: median(rs.map((x) => x.rps)),
      p50: median(rs.map((x) => x.p50)),
      p99: median(rs.map((x) => x.p99)),
      requests: sum(rs, "total"),
      non2xx: sum(rs, "non2xx") + sum(this.warmups, "non2xx"),
      errors: sum(rs, "errors") + sum(this.warmups, "errors"),
      warmups: this.warmups,
      roundFigures: rs.map(({ rps, p50, p99, total, perSecond, cpu }) => ({ rps, p50, p99, requests: total, perSecond, cpu })),
      // The median share of each, over the rounds.
      cpu: rs.some((r) => r.cpu) ? { cores: rs.find((r) => r.cpu).cpu.cores, busy: cpuOf("busy"), workerd: cpuOf("workerd"), proxy: cpuOf("proxy"), loadGenerator: cpuOf("loadGenerator"), other: cpuOf("other") } : undefined,
      perOp,
      requestsByShard,
      misrouted: this.misrouted,
    };
  }
}
