// Two hand-written SVG charts (no chart library): rows read per operation
// against tenant size on a log-scale x axis, and throughput as a fraction of
// /healthz as horizontal bars.

const PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173"];

const esc = (s) => String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/**
 * Rows read per request vs tenant size (log x, linear y).
 * @param {{ name: string, points: { size: number, value: number }[] }[]} series
 * @param {{ title: string, yLabel: string }} o
 */
export function lineChartLogX(series, { title, yLabel }) {
  const W = 900;
  const H = 480;
  const m = { l: 70, r: 260, t: 40, b: 60 };
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const all = series.flatMap((s) => s.points);
  const sizes = [...new Set(all.map((p) => p.size))].sort((a, b) => a - b);
  const minX = Math.log10(Math.max(1, sizes[0] ?? 1));
  let maxX = Math.log10(Math.max(10, sizes[sizes.length - 1] ?? 10));
  if (maxX - minX < 1) maxX = minX + 1;
  // y is log10(1 + rows): 0 stays on the axis, and 3-row lookups stay readable beside 10,000-row flips.
  const maxY = 10 ** Math.ceil(Math.log10(Math.max(10, ...all.map((p) => p.value + 1))));
  const x = (size) => m.l + ((Math.log10(size) - minX) / (maxX - minX)) * pw;
  const y = (v) => m.t + ph - (Math.log10(1 + Math.max(0, v)) / Math.log10(maxY)) * ph;
  const out = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  out.push(`<text x="${m.l}" y="22" font-size="15" font-weight="bold">${esc(title)}</text>`);
  // Grid: decades on x, 5 ticks on y.
  for (let d = Math.floor(minX); d <= Math.ceil(maxX); d++) {
    if (d < minX - 1e-9 || d > maxX + 1e-9) continue;
    const px = x(10 ** d);
    out.push(`<line x1="${px}" y1="${m.t}" x2="${px}" y2="${m.t + ph}" stroke="#ddd"/>`);
    out.push(`<text x="${px}" y="${m.t + ph + 18}" text-anchor="middle">${fmtInt(10 ** d)}</text>`);
  }
  for (const s of sizes) {
    const px = x(s);
    out.push(`<line x1="${px}" y1="${m.t + ph}" x2="${px}" y2="${m.t + ph + 5}" stroke="#333"/>`);
  }
  for (const v of [0, 1, 3, 10, 30, 100, 300, 1000, 3000, 10000, 30000, 100000, 300000, 1000000].filter((t) => t < maxY)) {
    out.push(`<line x1="${m.l}" y1="${y(v)}" x2="${m.l + pw}" y2="${y(v)}" stroke="#eee"/>`);
    out.push(`<text x="${m.l - 8}" y="${y(v) + 4}" text-anchor="end">${fmtInt(v)}</text>`);
  }
  out.push(`<rect x="${m.l}" y="${m.t}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`);
  out.push(`<text x="${m.l + pw / 2}" y="${H - 18}" text-anchor="middle">tenant size (users, log scale)</text>`);
  out.push(`<text transform="translate(18 ${m.t + ph / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>`);
  series.forEach((s, idx) => {
    const color = PALETTE[idx % PALETTE.length];
    const pts = [...s.points].sort((a, b) => a.size - b.size);
    if (pts.length > 1) out.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts.map((p) => `${x(p.size).toFixed(1)},${y(p.value).toFixed(1)}`).join(" ")}"/>`);
    for (const p of pts) {
      out.push(`<circle cx="${x(p.size).toFixed(1)}" cy="${y(p.value).toFixed(1)}" r="3.5" fill="${color}"><title>${esc(`${s.name} @ ${fmtInt(p.size)}: ${p.value}`)}</title></circle>`);
    }
    const ly = m.t + 6 + idx * 18;
    out.push(`<line x1="${m.l + pw + 15}" y1="${ly}" x2="${m.l + pw + 35}" y2="${ly}" stroke="${color}" stroke-width="3"/>`);
    out.push(`<text x="${m.l + pw + 40}" y="${ly + 4}">${esc(s.name)}</text>`);
  });
  out.push("</svg>");
  return out.join("\n") + "\n";
}

/**
 * Horizontal bars: one group per operation, one bar per size; a dashed line at 0.5 (the target).
 * @param {{ name: string, values: { size: number, value: number }[] }[]} rows
 * @param {{ title: string, target?: number }} o
 */
export function barChart(rows, { title, target = 0.5 }) {
  const sizes = [...new Set(rows.flatMap((r) => r.values.map((v) => v.size)))].sort((a, b) => a - b);
  const barH = 10;
  const groupH = Math.max(1, sizes.length) * (barH + 2) + 10;
  const m = { l: 230, r: 120, t: 50, b: 40 };
  const W = 900;
  const pw = W - m.l - m.r;
  const H = m.t + m.b + rows.length * groupH;
  const maxV = Math.max(1, ...rows.flatMap((r) => r.values.map((v) => v.value)));
  const x = (v) => m.l + (v / maxV) * pw;
  const out = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  out.push(`<text x="10" y="22" font-size="15" font-weight="bold">${esc(title)}</text>`);
  sizes.forEach((s, k) => {
    const lx = m.l + k * 130;
    out.push(`<rect x="${lx}" y="30" width="12" height="10" fill="${PALETTE[k % PALETTE.length]}"/><text x="${lx + 16}" y="39">${fmtInt(s)} users</text>`);
  });
  for (let k = 0; k <= 4; k++) {
    const v = (maxV / 4) * k;
    out.push(`<line x1="${x(v)}" y1="${m.t}" x2="${x(v)}" y2="${H - m.b}" stroke="#eee"/>`);
    out.push(`<text x="${x(v)}" y="${H - m.b + 16}" text-anchor="middle">${fmtNum(v)}×</text>`);
  }
  rows.forEach((r, i) => {
    const gy = m.t + i * groupH;
    out.push(`<text x="${m.l - 8}" y="${gy + groupH / 2 + 2}" text-anchor="end">${esc(r.name)}</text>`);
    sizes.forEach((s, k) => {
      const v = r.values.find((p) => p.size === s);
      if (!v) return;
      const by = gy + 5 + k * (barH + 2);
      out.push(`<rect x="${m.l}" y="${by}" width="${Math.max(0.5, x(v.value) - m.l).toFixed(1)}" height="${barH}" fill="${PALETTE[k % PALETTE.length]}"><title>${esc(`${r.name} @ ${fmtInt(s)}: ${v.value.toFixed(2)}× /healthz`)}</title></rect>`);
      out.push(`<text x="${x(v.value) + 4}" y="${by + barH - 1}" font-size="10">${v.value.toFixed(2)}</text>`);
    });
  });
  if (target <= maxV) {
    out.push(`<line x1="${x(target)}" y1="${m.t}" x2="${x(target)}" y2="${H - m.b}" stroke="#d62728" stroke-dasharray="5,4"/>`);
    out.push(`<text x="${x(target) + 4}" y="${m.t - 2}" fill="#d62728">target ${target}×</text>`);
  }
  out.push(`<text x="${m.l + pw / 2}" y="${H - 6}" text-anchor="middle">requests/s as a fraction of GET /healthz in the same run</text>`);
  out.push("</svg>");
  return out.join("\n") + "\n";
}

function fmtInt(n) {
  return Math.round(n).toLocaleString("en-US");
}

function fmtNum(v) {
  return Number.isInteger(v) ? String(v) : v.toFixed(v < 1 ? 2 : 1);
}
