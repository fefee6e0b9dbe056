/** @jsxImportSource hono/jsx */
/**
 * Inline SVG charts drawn by the worker (no script, no third-party asset):
 * requests per hour by status class, and Pro licences over time. Each has a
 * <title> and an aria-label that says the figures in words, and a legend.
 */
import type { FC } from "hono/jsx";
import { fmtNumber } from "./layout.js";
import type { HourBar, LicencePoint } from "./series.js";

const W = 760;
const H = 200;
const PAD = { left: 44, right: 12, top: 12, bottom: 26 };
const COLOURS = { "2xx": "#3a9a5b", "3xx": "#7c8aa5", "4xx": "#e09b2d", "5xx": "#d0453a" } as const;
const CLASSES = ["2xx", "3xx", "4xx", "5xx"] as const;

/** A round upper bound for the y axis: 1, 2, 5 × 10^n. */
function niceMax(n: number): number {
  if (n <= 4) return 4;
  const p = 10 ** Math.floor(Math.log10(n));
  for (const m of [1, 2, 5, 10]) if (m * p >= n) return m * p;
  return 10 * p;
}

const YAxis: FC<{ max: number }> = ({ max }) => {
  const plotH = H - PAD.top - PAD.bottom;
  return (
    <g>
      {[0, 0.5, 1].map((f) => {
        const y = PAD.top + plotH * (1 - f);
        return (
          <g>
            <line x1={PAD.left} x2={W - PAD.right} y1={y} y2={y} stroke="#dde2ea" stroke-width="1" />
            <text x={PAD.left - 6} y={y + 4} text-anchor="end" font-size="11" fill="#5b6577">
              {fmtNumber(Math.round(max * f))}
            </text>
          </g>
        );
      })}
    </g>
  );
};

export const RequestsChart: FC<{ bars: HourBar[]; truncated: boolean }> = ({ bars, truncated }) => {
  const totals = { "2xx": 0, "3xx": 0, "4xx": 0, "5xx": 0 };
  let peak = 0;
  for (const b of bars) {
    let sum = 0;
    for (const k of CLASSES) {
      totals[k] += b.counts[k];
      sum += b.counts[k];
    }
    peak = Math.max(peak, sum);
  }
  const max = niceMax(peak);
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const slot = plotW / Math.max(bars.length, 1);
  const label = `Requests per hour over the last ${Math.round(bars.length / 24)} days: ${CLASSES.map((k) => `${fmtNumber(totals[k])} ${k}`).join(", ")}.`;
  return (
    <figure>
      <svg class="chart" viewBox={`0 0 ${W} ${H}`} role="img" aria-label={label} data-chart="requests">
        <title>{label}</title>
        <YAxis max={max} />
        {bars.map((b, i) => {
          let y = PAD.top + plotH;
          const x = PAD.left + i * slot + slot * 0.12;
          return (
            <g>
              {CLASSES.map((k) => {
                const h = (b.counts[k] / max) * plotH;
                if (h <= 0) return null;
                y -= h;
                return <rect x={x.toFixed(1)} y={y.toFixed(1)} width={(slot * 0.76).toFixed(1)} height={h.toFixed(1)} fill={COLOURS[k]} />;
              })}
              {new Date(b.hour * 3_600_000).getUTCHours() === 0 ? (
                <text x={(PAD.left + i * slot).toFixed(1)} y={H - 8} font-size="11" fill="#5b6577">
                  {new Date(b.hour * 3_600_000).toISOString().slice(5, 10)}
                </text>
              ) : null}
            </g>
          );
        })}
      </svg>
      <div class="legend">
        {CLASSES.map((k) => (
          <span>
            <i class={`c${k[0]}`}></i>
            {k} {fmtNumber(totals[k])}
          </span>
        ))}
      </div>
      <figcaption>
        SCIM requests per hour (UTC), from the provisioning log.{truncated ? " The window holds more entries than the chart counts: the oldest hours are undercounted." : ""}
      </figcaption>
    </figure>
  );
};

export const LicencesChart: FC<{ points: LicencePoint[] }> = ({ points }) => {
  const peak = Math.max(0, ...points.map((p) => Math.max(p.active, p.downgraded)));
  const max = niceMax(peak);
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const x = (i: number) => PAD.left + (plotW * i) / Math.max(points.length - 1, 1);
  const y = (v: number) => PAD.top + plotH * (1 - v / max);
  const line = (key: "active" | "downgraded") => points.map((p, i) => `${i === 0 ? "M" : "L"}${x(i).toFixed(1)},${y(p[key]).toFixed(1)}`).join(" ");
  const last = points[points.length - 1] ?? { active: 0, downgraded: 0 };
  const label = `Pro licences over the last ${points.length - 1} days; now ${fmtNumber(last.active)} active and ${fmtNumber(last.downgraded)} downgraded.`;
  return (
    <figure>
      <svg class="chart" viewBox={`0 0 ${W} ${H}`} role="img" aria-label={label} data-chart="licences">
        <title>{label}</title>
        <YAxis max={max} />
        <path d={line("downgraded")} fill="none" stroke="#e09b2d" stroke-width="2.5" />
        <path d={line("active")} fill="none" stroke="#2457c5" stroke-width="2.5" stroke-dasharray="6 4" />
        {points.map((p, i) => (
          <g>
            <circle cx={x(i).toFixed(1)} cy={y(p.active).toFixed(1)} r="3" fill="#2457c5" />
            <circle cx={x(i).toFixed(1)} cy={y(p.downgraded).toFixed(1)} r="3" fill="#e09b2d" />
            {i % 2 === 0 || i === points.length - 1 ? (
              <text x={x(i).toFixed(1)} y={H - 8} font-size="11" fill="#5b6577" text-anchor="middle">
                {i === points.length - 1 ? "now" : new Date(p.at - 1).toISOString().slice(5, 10)}
              </text>
            ) : null}
          </g>
        ))}
      </svg>
      <div class="legend">
        <span>
          <i class="active"></i>active {fmtNumber(last.active)}
        </span>
        <span>
          <i class="downgraded"></i>downgraded {fmtNumber(last.downgraded)}
        </span>
      </div>
      <figcaption>Pro licences at the end of each day (UTC) and now: today's counts, with the change feed's licence events replayed backwards.</figcaption>
    </figure>
  );
};
