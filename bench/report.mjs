// results.json → results.md (and stdout) and the two SVG charts.

import { writeFileSync } from "node:fs";
import path from "node:path";
import { barChart, lineChartLogX } from "./svg-chart.mjs";

const n0 = (v) => (v === undefined || v === null || !Number.isFinite(v) ? "—" : Math.round(v).toLocaleString("en-US"));
const n1 = (v) => (v === undefined || v === null || !Number.isFinite(v) ? "—" : v < 10 ? v.toFixed(1) : Math.round(v).toLocaleString("en-US"));
const r2 = (v) => (v === undefined || v === null || !Number.isFinite(v) ? "—" : v.toFixed(2));
const rows = (v) => (v === undefined || v === null ? "—" : Array.isArray(v) ? (v[0] === v[1] ? String(v[0]) : `${v[0]}–${v[1]}`) : String(v));
const cell = (s) => String(s).replace(/\|/g, "\\|");

/** One figure when every size agrees, else each size's figure in size order. */
function acrossSizes(values) {
  const shown = values.map((v) => rows(v));
  return new Set(shown).size === 1 ? shown[0] : shown.join(" / ");
}

/** Rows written: the request's own (x-d1-rows-written), then its provisioning log entry's, written after the response. */
function writtenAcrossSizes(ok) {
  const own = acrossSizes(ok.map((r) => r.rowsWritten));
  return ok.every((r) => r.logRowsWritten) ? `${own} + ${acrossSizes(ok.map((r) => r.logRowsWritten))} log` : own;
}

/**
 * The short table: one line per operation, its rows at every size (one
 * figure when they agree: the cost does not grow with the tenant), its
 * throughput relative to /healthz at each size, and its budget.
 * @param {any} results
 */
export function renderSummary(results) {
  const sizes = [...new Set(results.rows.map((r) => r.size))].sort((a, b) => a - b);
  const out = [];
  out.push(`| operation | rows read | rows written | × /healthz at ${sizes.map(n0).join(" / ")} users | budget |`);
  out.push("|---|---:|---:|---:|---|");
  const keys = [...new Set(results.rows.map((r) => r.key))];
  for (const key of keys) {
    const bySize = sizes.map((n) => results.rows.find((r) => r.key === key && r.size === n));
    const ok = bySize.filter((r) => r && r.status === "ok");
    const first = bySize.find(Boolean);
    if (!first) continue;
    if (ok.length === 0) {
      out.push(`| ${cell(first.label)} | **${first.status}**: ${cell(first.note)} | | | |`);
      continue;
    }
    let read = acrossSizes(ok.map((r) => r.rowsRead));
    if (ok.every((r) => r.lookupRead)) read += ` (lookup ${acrossSizes(ok.map((r) => r.lookupRead))})`;
    const ratios = bySize.map((r) => (r && r.status === "ok" ? r2(r.ratio) : "—")).join(" / ");
    const budgets = ok.filter((r) => r.budget);
    const met = budgets.length === 0 ? "" : budgets.every((r) => r.budget.met === true) ? `${budgets[0].budget.text} ✅` : `${budgets[0].budget.text} ❌`;
    out.push(`| ${cell(first.label)} | ${read} | ${writtenAcrossSizes(ok)} | ${ratios} | ${cell(met)} |`);
  }
  for (const value of ["False", "True"]) {
    const flips = results.flips?.filter((f) => f.value === value && f.status < 300) ?? [];
    if (flips.length === 0) continue;
    const perMember = flips.map((f) => f.rowsRead / Math.max(1, f.members));
    out.push(
      `| licence flip "${value}" on the big group (${[...new Set(flips.map((f) => f.members))].map(n0).join(" / ")} members) | ${r2(Math.min(...perMember))}–${r2(Math.max(...perMember))} per member | ${r2(Math.min(...flips.map((f) => f.rowsWritten / Math.max(1, f.members))))}–${r2(Math.max(...flips.map((f) => f.rowsWritten / Math.max(1, f.members))))} per member | ${sizes.map((n) => n0(Math.max(...flips.filter((f) => f.size === n).map((f) => f.ms)))).join(" / ")} ms, slowest of the flips | O(group), one batch |`,
    );
  }
  if (results.worst?.length) {
    const ws = sizes.map((n) => results.worst.find((w) => w.size === n)).filter(Boolean);
    const b = results.worstBudget;
    out.push(
      `| worst request of a hostile mix (${ws[0].requests.length} requests: unindexed filters and sorts, co/sw/or, offsets at and past the limit, membership filters with conditions, group lists with members) | ${ws.map((w) => n0(w.worst.rowsRead)).join(" / ")} (≤ ${Math.max(...ws.map((w) => w.statements))} statements) | 0 | — | ${cell(b?.text ?? "")} ${b?.met === true ? "✅" : b?.met === false ? `❌ ${cell(b.why)}` : "?"} |`,
    );
  }
  const s = results.sweep;
  if (s && Number.isFinite(s.rowsRead)) {
    out.push(
      `| licence sweep: ${n0(s.expired)} expired licences across ${s.tenants} tenants | ${n0(s.rowsRead)} (${r2(s.rowsRead / Math.max(1, s.expired))} per licence) | ${n0(s.rowsWritten)} | ${s.runs?.map((r) => `${n0(r.ms)} ms`).join(", ")} per run | ${cell(s.budget.text)} ${s.budget.met === true ? "✅" : s.budget.met === false ? "❌" : "?"} |`,
    );
  }
  return out.join("\n");
}

const kib = (b) => (b === undefined || b === null || !Number.isFinite(b) ? "—" : b >= 1024 * 1024 ? `${(b / 1024 / 1024).toFixed(1)} MiB` : `${(b / 1024).toFixed(1)} KiB`);

/** "DB 5–6 · DB_2 5–6": statements one request sent to each binding, min–max. */
function statementsCell(statements) {
  return Object.entries(statements ?? {})
    .sort(([a], [b]) => a.localeCompare(b, "en", { numeric: true }))
    .map(([binding, r]) => `${binding} ${rows(r)}`)
    .join(" · ");
}

/**
 * The multi-tenant runs over 1, 2 … data shards and the bytes per user on
 * disk (shards.mjs).
 * @param {any} results
 */
export function renderShards(results) {
  const sh = results.shards;
  const out = [];
  if (!sh) return "";
  const c = sh.config;
  out.push("## Many tenants over several data shards");
  out.push("");
  out.push(
    `${n0(c.tenants)} tenants of ${n0(c.usersPerTenant)} seeded users (each in a licensing group, plus ${c.teamsPerTenant} empty groups), placed round-robin on the data shards (D1 bindings DB, DB_2 …; \`DATA_SHARDS\` set per run; DB is also the control database). ` +
      `${c.connections} connections send Entra's mix — ${c.mix.map((m) => `${m.weight} % ${m.label}`).join(", ")} — each request for a tenant drawn at random; ` +
      `${c.rounds} round(s) × ${c.durationS} s per shard count${c.rounds > 1 ? ", the first on the worker that seeded the tenants, the others interleaved across the shard counts (1, 2, 4, 1, 2, 4 …) each on a freshly started wrangler dev" : ""}, every round after a ${c.warmupS} s warm-up round (not in the figures); req/s and latency the median of the rounds. Every response's \`x-d1-statements-by-binding\` is checked. ` +
      `One wrangler dev (one workerd process, every local D1 a SQLite file in it) and the load generator share the machine${sh.loadAverage?.before ? ` (load average ${sh.loadAverage.before.map((x) => x.toFixed(2)).join(" / ")} before, ${sh.loadAverage.after?.map((x) => x.toFixed(2)).join(" / ") ?? "—"} after)` : ""}.`,
  );
  out.push("");
  out.push("| data shards | tenants per shard | req/s | each round | p50 ms | p99 ms | requests | non-2xx / errors | requests served by each shard | on another or several bindings | CPU busy: all / workerd / wrangler proxy / load generator / other |");
  out.push("|---:|---|---:|---|---:|---:|---:|---:|---|---:|---|");
  for (const r of sh.runs) {
    if (r.status !== "ok") {
      out.push(`| ${r.shards} | **${r.status}**: ${cell(r.note ?? "")} | | | | | | | | | |`);
      continue;
    }
    const per = Object.entries(r.tenantsPerShard ?? {}).map(([s, n]) => `${s} ${n}`).join(", ");
    const served = Object.entries(r.requestsByShard ?? {}).sort(([a], [b]) => a.localeCompare(b, "en", { numeric: true })).map(([s, n]) => `${s} ${n0(n)}`).join(", ");
    const cpu = r.cpu ? [r.cpu.busy, r.cpu.workerd, r.cpu.proxy, r.cpu.loadGenerator, r.cpu.other].map((x) => `${x} %`).join(" / ") : "—";
    const each = (r.roundFigures ?? []).map((x) => n0(x.rps)).join(" / ");
    out.push(`| ${r.shards} | ${per} | ${n0(r.rps)} | ${each} | ${n1(r.p50)} | ${n1(r.p99)} | ${n0(r.requests)} | ${n0(r.non2xx)} / ${n0(r.errors)} | ${served} | ${n0(r.misrouted.count + r.misrouted.missingHeader)} | ${cpu} |`);
  }
  if (sh.runs.some((r) => r.cpu)) {
    out.push("");
    out.push(
      `CPU: the median over the rounds of the shares of the machine's capacity (${sh.runs.find((r) => r.cpu).cpu.cores} cores × the round's wall time) from /proc: all processes; workerd, which runs the worker and every local D1 (100 % = both cores); wrangler's Node proxy in front of it; this process (autocannon); and the rest of the machine. With the cores busy, a run measures the machine; more shards only shorten the wait for a database's one writer.`,
    );
  }
  out.push("");
  out.push("Per operation: latency over every round, and the statements one request sent to each D1 binding (min–max over the requests that binding served; a request sends to one binding only).");
  out.push("");
  out.push("| operation | data shards | requests | p50 ms | p99 ms | statements per binding | rows read | rows written |");
  out.push("|---|---:|---:|---:|---:|---|---:|---:|");
  for (const m of c.mix) {
    for (const r of sh.runs.filter((x) => x.status === "ok")) {
      const o = r.perOp?.[m.key];
      if (!o) continue;
      out.push(`| ${cell(m.label)} (${m.weight} %) | ${r.shards} | ${n0(o.requests)} | ${n1(o.p50)} | ${n1(o.p99)} | ${statementsCell(o.statements)} | ${rows(o.rowsRead)} | ${rows(o.rowsWritten)} |`);
    }
  }
  if (sh.routing) out.push("", `- Budget ${sh.routing.text} (${n0(sh.routing.requests)} requests, warm-up included): ${sh.routing.met === true ? "✅ met" : sh.routing.met === false ? `❌ not met (${cell(sh.routing.why)})` : "? not measured"}`);
  const b = sh.bytes;
  if (b) {
    const share = (t) => b.byTable[t] ?? 0;
    const known = ["users", "memberships", "licences", "groups", "events", "request_log"];
    const other = Object.entries(b.byTable).filter(([t]) => !known.includes(t)).reduce((s, [, v]) => s + v, 0);
    const line = (label, t, rowsOf) => `| ${label} | ${rowsOf === undefined ? "—" : r2(rowsOf / b.users)} | ${n0(share(t))} | ${n0(b.compactByTable[t] ?? 0)} | ${((100 * share(t)) / b.total).toFixed(1)} % |`;
    out.push("");
    out.push("## Bytes per user on disk");
    out.push("");
    out.push(
      `${n0(b.users)} users provisioned through the SCIM API into an empty data shard (${b.shard}), shaped like Entra's default attribute mapping (\`POST /Users\` body ${n0(b.userBodyBytes)} bytes: userName, externalId, name, displayName, title, preferredLanguage, work email, work and mobile phone, work address, employeeNumber, department, location), ` +
        `then added to ${b.groupsPerUser} groups each (one licensing) in PATCHes of 100 members: ${n0(b.requests)} SCIM requests. Its SQLite file measured with wrangler dev stopped, before and after (page count × page size, the WAL folded in; \`dbstat\` per table, indexes included), and again after \`VACUUM INTO\` a copy.`,
    );
    out.push("");
    out.push("| table (with its indexes) | rows per user | bytes per user, as written | after VACUUM | share |");
    out.push("|---|---:|---:|---:|---:|");
    out.push(line("users", "users", b.rows.users));
    out.push(line("memberships", "memberships", b.rows.memberships));
    out.push(line("licences", "licences", b.rows.licences));
    out.push(line("groups", "groups", b.rows.groups));
    out.push(line("events (change feed, kept 30 days)", "events", b.rows.events));
    out.push(line("request_log (provisioning log, kept 30 days)", "request_log", b.rows.request_log));
    if (other) out.push(`| other (tenants, tenant_stats, schema) | — | ${n0(other)} | — | ${((100 * other) / b.total).toFixed(1)} % |`);
    out.push(`| **total** (file growth / users) | | **${n0(b.total)}** | **${n0(b.compact)}** | 100 % |`);
    out.push("");
    out.push(
      `- Per change-feed event: ${n0(b.perEvent)} bytes; per provisioning-log entry: ${n0(b.perLogEntry)} bytes. The file grew from ${kib(b.before.bytes)} to ${kib(b.after.bytes)} (${n0(b.freePages)} free pages after).`,
    );
    out.push(
      `- Without the 30-day history (events and log): ${n0(b.total - share("events") - share("request_log"))} bytes per user as written.`,
    );
  }
  if (results.rows.length === 0 && results.problems?.length) {
    out.push("");
    out.push("## Problems");
    out.push("");
    for (const p of results.problems) out.push(`- ${p}`);
  }
  out.push("");
  return out.join("\n");
}

/** @param {any} results */
export function renderMarkdown(results) {
  const { meta, healthz } = results;
  const out = [];
  out.push(`# scim-edge benchmark — ${meta.date}`);
  out.push("");
  out.push(`- Machine: ${meta.machine.cores} cores (${meta.machine.cpu}), ${meta.machine.memoryGiB} GiB memory, ${meta.machine.platform}`);
  out.push(`- Node ${meta.node}, wrangler ${meta.wrangler}, commit ${meta.commit}`);
  out.push(`- Command: \`${meta.command}\``);
  if (meta.machine.loadAverage) out.push(`- Load average at the start (1 / 5 / 15 min): ${meta.machine.loadAverage.join(" / ")}`);
  if (results.rows.length === 0) {
    // `--scenario shards`: the single-database part did not run.
    out.push("");
    out.push(renderShards(results));
    return out.join("\n");
  }
  out.push(
    `- Load: autocannon, ${meta.options.connections} connections, ${meta.options.rounds} round(s) × ${meta.options.duration} s per operation and size (median of rounds); rows from \`x-d1-rows-read\` / \`x-d1-rows-written\` on ${meta.options.samples} sampled requests (range shown when they differ)`,
  );
  out.push("- Rows written \"N + 1 log\": N from the request's `x-d1-rows-written`, then its provisioning log entry, written after the response (`waitUntil`) and read from the worker's `provisioning-log-write` line");
  out.push(`- Floor: \`GET /healthz\` ${n0(healthz?.rps)} req/s, p50 ${n1(healthz?.p50)} ms, p99 ${n1(healthz?.p99)} ms`);
  out.push("");
  out.push("## Summary");
  out.push("");
  out.push(renderSummary(results));
  out.push("");
  out.push("## Every operation at every size");
  out.push("");
  out.push("| operation | users | req/s | × healthz | p50 ms | p99 ms | rows read | rows written | budget | met |");
  out.push("|---|---:|---:|---:|---:|---:|---:|---:|---|---|");
  out.push(`| GET /healthz (floor) | — | ${n0(healthz?.rps)} | 1.00 | ${n1(healthz?.p50)} | ${n1(healthz?.p99)} | — | — | — | — |`);
  for (const r of results.rows) {
    const met = r.budget ? (r.budget.met === true ? "✅ met" : r.budget.met === false ? `❌ not met${r.budget.why ? ` (${r.budget.why})` : ""}` : "? not measured") : "";
    const name = r.status === "ok" ? r.label : `${r.label} — **${r.status}**: ${r.note}`;
    out.push(
      `| ${cell(name)} | ${n0(r.size)} | ${n0(r.rps)} | ${r2(r.ratio)} | ${n1(r.p50)} | ${n1(r.p99)} | ${rows(r.rowsRead)}${r.lookupRead ? ` (lookup ${rows(r.lookupRead)})` : ""} | ${rows(r.rowsWritten)}${r.logRowsWritten ? ` + ${rows(r.logRowsWritten)} log` : ""} | ${r.budget?.text ?? ""} | ${met} |`,
    );
  }
  if (results.flips?.length) {
    out.push("");
    out.push("## Licence flip on the big group (PATCH Replace `…:Group:license`)");
    out.push("");
    out.push("| users | members | value | status | time ms | rows read | rows written |");
    out.push("|---:|---:|---|---:|---:|---:|---:|");
    for (const f of results.flips) out.push(`| ${n0(f.size)} | ${n0(f.members)} | "${f.value}" | ${f.status} | ${n1(f.ms)} | ${rows(f.rowsRead)} | ${rows(f.rowsWritten)} |`);
  }
  if (results.bursts?.length) {
    out.push("");
    out.push("## Concurrent PATCHes of one resource (no If-Match)");
    out.push("");
    out.push("Bursts of concurrent PATCHes of one user (each a different attribute) and of the big group (half externalId, half member adds). Every request must succeed; retries are the lost optimistic writes that were re-read and re-applied (`x-write-attempts`).");
    out.push("");
    out.push("| users | resource | bursts × writers | succeeded | retries | max attempts | p50 ms | p99 ms |");
    out.push("|---:|---|---:|---:|---:|---:|---:|---:|");
    for (const b of results.bursts) out.push(`| ${n0(b.size)} | ${b.kind} | ${b.bursts} × ${b.writers} | ${b.succeeded}/${b.requests} | ${n0(b.retries)} | ${b.maxAttempts} | ${n1(b.p50)} | ${n1(b.p99)} |`);
  }
  if (results.feedPages?.length) {
    out.push("");
    out.push("## Change feed: rows read per page of 100 events");
    out.push("");
    out.push("| users | events in the tenant's feed (about) | first page | deepest page |");
    out.push("|---:|---:|---:|---:|");
    for (const f of results.feedPages) out.push(`| ${n0(f.size)} | ${n0(f.events)} | ${rows(f.firstRead)} | ${rows(f.deepRead)} |`);
  }
  if (results.worst?.length) {
    const sizes = results.worst.map((w) => w.size);
    out.push("");
    out.push("## Worst request of a hostile mix");
    out.push("");
    out.push("Each request once per size: status (400 = tooMany), rows read / statements. The worst is the most rows any one of them read; every list request is bounded by the same limits whatever the tenant's size (docs/storage.md, \"Bounded work per request\").");
    out.push("");
    out.push(`| request | ${sizes.map((n) => `${n0(n)} users`).join(" | ")} |`);
    out.push(`|---|${sizes.map(() => "---:").join("|")}|`);
    for (const h of results.worst[0].requests) {
      const cells = results.worst.map((w) => {
        const r = w.requests.find((x) => x.key === h.key);
        return r ? `${r.status} · ${rows(r.rowsRead)} / ${rows(r.statements)}` : "—";
      });
      out.push(`| ${cell(h.label)} | ${cells.join(" | ")} |`);
    }
    out.push(`| **worst** | ${results.worst.map((w) => `**${n0(w.worst.rowsRead)}** (${cell(w.worst.key ?? "")})`).join(" | ")} |`);
    if (results.worstBudget) out.push("", `- Budget ${results.worstBudget.text}: ${results.worstBudget.met ? "✅ met" : `❌ not met (${results.worstBudget.why})`}`);
  }
  const s = results.sweep;
  if (s) {
    out.push("");
    out.push(`## Licence sweep: ${n0(s.expired)} expired licences across ${s.tenants} tenants`);
    out.push("");
    if (s.error) out.push(`- **failed**: ${s.error}`);
    out.push(`- \`GET /__scheduled\`: ${s.runs?.length ?? 0} run(s), ${s.runs?.map((r) => `${n0(r.ms)} ms (HTTP ${r.status})`).join(", ") ?? "—"}; expired licences left afterwards: ${n0(s.remaining)}`);
    out.push(`- From the sweep's log lines: ${s.pages?.length ?? 0} page(s), ${n0(s.statements)} statements, ${n0(s.rowsRead)} rows read, ${n0(s.rowsWritten)} rows written`);
    if (s.pages?.length) {
      out.push(`- Per page (statements / read / written): ${s.pages.slice(0, 20).map((p) => [p.statements ?? "?", p.rowsRead ?? "?", p.rowsWritten ?? "—"].join("/")).join(", ")}${s.pages.length > 20 ? ", …" : ""}`);
    }
    out.push(`- Budget ${s.budget.text}: ${s.budget.met === true ? "✅ met" : s.budget.met === false ? `❌ not met (${s.budget.why})` : `? not measured${s.budget.why ? ` (${s.budget.why})` : ""}`}`);
  }
  if (results.shape) {
    out.push("");
    out.push("## Seed check (API-made rows vs SQL-made rows)");
    out.push("");
    if (results.shape.error) out.push(`- not checked: ${results.shape.error}`);
    else if (results.shape.diffs.length === 0) out.push("- same columns and values (ids, etags, times and nonces compared by form)");
    else for (const d of results.shape.diffs) out.push(`- differs: ${d}`);
  }
  if (results.problems?.length) {
    out.push("");
    out.push("## Problems");
    out.push("");
    for (const p of results.problems) out.push(`- ${p}`);
  }
  if (results.shards) {
    out.push("");
    out.push(renderShards(results));
  }
  out.push("");
  out.push("![Rows read per operation vs tenant size](rows-read.svg)");
  out.push("");
  out.push("![Throughput as a fraction of /healthz](throughput.svg)");
  out.push("");
  return out.join("\n");
}

/** Writes results.json, results.md and the SVGs into `dir`; returns the Markdown. */
export function writeReport(dir, results) {
  writeFileSync(path.join(dir, "results.json"), JSON.stringify(results, null, 2) + "\n");
  const byOp = new Map();
  for (const r of results.rows) {
    if (r.status !== "ok" || r.rowsRead == null) continue;
    const v = Array.isArray(r.rowsRead) ? r.rowsRead[1] : r.rowsRead;
    if (!byOp.has(r.key)) byOp.set(r.key, { name: r.short ?? r.key, points: [], values: [] });
    byOp.get(r.key).points.push({ size: r.size, value: v });
  }
  for (const f of results.flips ?? []) {
    if (f.rowsRead == null) continue;
    const key = `flip-${f.value}`;
    if (!byOp.has(key)) byOp.set(key, { name: `licence flip "${f.value}"`, points: [] });
    const s = byOp.get(key);
    if (!s.points.some((p) => p.size === f.size)) s.points.push({ size: f.size, value: f.rowsRead });
  }
  writeFileSync(path.join(dir, "rows-read.svg"), lineChartLogX([...byOp.values()], { title: "D1 rows read per request vs tenant size", yLabel: "rows read per request (log scale)" }));
  const ratios = new Map();
  for (const r of results.rows) {
    if (r.status !== "ok" || !Number.isFinite(r.ratio)) continue;
    if (!ratios.has(r.key)) ratios.set(r.key, { name: r.short ?? r.key, values: [] });
    ratios.get(r.key).values.push({ size: r.size, value: r.ratio });
  }
  writeFileSync(path.join(dir, "throughput.svg"), barChart([...ratios.values()], { title: "Throughput as a fraction of GET /healthz (same run)" }));
  const md = renderMarkdown(results);
  writeFileSync(path.join(dir, "results.md"), md);
  return md;
}
