// results.json → results.md (and stdout) and the two SVG charts.

import { writeFileSync } from "node:fs";
import path from "node:path";
import { barChart, lineChartLogX } from "./svg-chart.mjs";

const n0 = (v) => (v === undefined || v === null || !Number.isFinite(v) ? "—" : Math.round(v).toLocaleString("en-US"));
const n1 = (v) => (v === undefined || v === null || !Number.isFinite(v) ? "—" : v < 10 ? v.toFixed(1) : Math.round(v).toLocaleString("en-US"));
const r2 = (v) => (v === undefined || v === null || !Number.isFinite(v) ? "—" : v.toFixed(2));
const rows = (v) => (v === undefined || v === null ? "—" : Array.isArray(v) ? (v[0] === v[1] ? String(v[0]) : `${v[0]}–${v[1]}`) : String(v));
const cell = (s) => String(s).replace(/\|/g, "\\|");

/** @param {any} results */
export function renderMarkdown(results) {
  const { meta, healthz } = results;
  const out = [];
  out.push(`# scim-edge benchmark — ${meta.date}`);
  out.push("");
  out.push(`- Machine: ${meta.machine.cores} cores (${meta.machine.cpu}), ${meta.machine.memoryGiB} GiB memory, ${meta.machine.platform}`);
  out.push(`- Node ${meta.node}, wrangler ${meta.wrangler}, commit ${meta.commit}`);
  out.push(`- Command: \`${meta.command}\``);
  out.push(
    `- Load: autocannon, ${meta.options.connections} connections, ${meta.options.rounds} round(s) × ${meta.options.duration} s per operation and size (median of rounds); rows from \`x-d1-rows-read\` / \`x-d1-rows-written\` on ${meta.options.samples} sampled requests (range shown when they differ)`,
  );
  out.push(`- Floor: \`GET /healthz\` ${n0(healthz?.rps)} req/s, p50 ${n1(healthz?.p50)} ms, p99 ${n1(healthz?.p99)} ms`);
  out.push("");
  out.push("| operation | users | req/s | × healthz | p50 ms | p99 ms | rows read | rows written | budget | met |");
  out.push("|---|---:|---:|---:|---:|---:|---:|---:|---|---|");
  out.push(`| GET /healthz (floor) | — | ${n0(healthz?.rps)} | 1.00 | ${n1(healthz?.p50)} | ${n1(healthz?.p99)} | — | — | — | — |`);
  for (const r of results.rows) {
    const met = r.budget ? (r.budget.met === true ? "✅ met" : r.budget.met === false ? `❌ not met${r.budget.why ? ` (${r.budget.why})` : ""}` : "? not measured") : "";
    const name = r.status === "ok" ? r.label : `${r.label} — **${r.status}**: ${r.note}`;
    out.push(
      `| ${cell(name)} | ${n0(r.size)} | ${n0(r.rps)} | ${r2(r.ratio)} | ${n1(r.p50)} | ${n1(r.p99)} | ${rows(r.rowsRead)}${r.lookupRead ? ` (lookup ${rows(r.lookupRead)})` : ""} | ${rows(r.rowsWritten)} | ${r.budget?.text ?? ""} | ${met} |`,
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
