/**
 * Pure arithmetic behind the charts: no I/O (the reads are in
 * src/storage/console-charts.ts).
 */
import type { LicenceEventPoint } from "../storage/console-charts.js";

export interface LicencePoint {
  /** End of the day (ms), or now for the last point. */
  at: number;
  active: number;
  downgraded: number;
}

const DAY_MS = 86_400_000;

/**
 * Pro licences held at the end of each of the last `days` days, and now.
 * Starts from today's counts (the admin API's stats) and replays the licence
 * events backwards (docs/events.md: activated none→active, reactivated
 * downgraded→active, downgraded active→downgraded, expired downgraded→none,
 * removed held→none with the status it had). `events` are newest first.
 */
export function licenceSeries(now: { active: number; downgraded: number }, events: LicenceEventPoint[], days: number, nowMs: number): LicencePoint[] {
  const points: LicencePoint[] = [{ at: nowMs, active: now.active, downgraded: now.downgraded }];
  let active = now.active;
  let downgraded = now.downgraded;
  let i = 0;
  const endOfToday = Math.floor(nowMs / DAY_MS) * DAY_MS;
  for (let d = 0; d < days; d++) {
    const boundary = endOfToday - d * DAY_MS; // midnight UTC: the state at the end of the day before
    for (; i < events.length && (events[i]?.occurredAt ?? 0) >= boundary; i++) {
      const e = events[i] as LicenceEventPoint;
      if (e.type === "licence.activated") active--;
      else if (e.type === "licence.reactivated") {
        active--;
        downgraded++;
      } else if (e.type === "licence.downgraded") {
        active++;
        downgraded--;
      } else if (e.type === "licence.expired") downgraded++;
      else if (e.type === "licence.removed") {
        if (e.status === "downgraded") downgraded++;
        else active++;
      }
    }
    points.unshift({ at: boundary, active: Math.max(0, active), downgraded: Math.max(0, downgraded) });
  }
  return points;
}

export interface HourBar {
  hour: number;
  counts: { "2xx": number; "3xx": number; "4xx": number; "5xx": number };
}

/** One bar per hour from `fromHour` to `toHour`, zero where nothing was logged. */
export function hourBars(hours: Map<number, Record<string, number>>, fromHour: number, toHour: number): HourBar[] {
  const bars: HourBar[] = [];
  for (let h = fromHour; h <= toHour; h++) {
    const c = hours.get(h) ?? {};
    bars.push({ hour: h, counts: { "2xx": (c["2xx"] ?? 0) + (c["1xx"] ?? 0), "3xx": c["3xx"] ?? 0, "4xx": c["4xx"] ?? 0, "5xx": c["5xx"] ?? 0 } });
  }
  return bars;
}
