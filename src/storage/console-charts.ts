/**
 * The two reads behind the console's charts (src/console/charts.tsx), each
 * one bounded statement scoped by tenant:
 *
 * - requests per hour by status class: the provisioning log's key starts
 *   (tenant_id, hour), so the window is one range of it; at most
 *   CHART_REQUEST_ROWS entries are counted (newest first) and the answer
 *   says when the window held more.
 * - licence events (licence.*) of the tenant's newest CHART_EVENT_ROWS feed
 *   events, newest first, through events (tenant_id, tenant_seq): the
 *   console replays them backwards from today's counts.
 */
import type { RequestDatabase } from "./database.js";
import { hourOf } from "./request-log.js";

export const CHART_REQUEST_ROWS = 50_000;
export const CHART_EVENT_ROWS = 20_000;

export interface HourlyRequests {
  /** hour (floor(ms / 3,600,000)) → counts per status class ("2xx", "3xx", "4xx", "5xx"). */
  hours: Map<number, Record<string, number>>;
  /** The window held more than CHART_REQUEST_ROWS entries: the oldest hours are undercounted. */
  truncated: boolean;
}

export async function hourlyRequestCounts(rd: RequestDatabase, tenantId: string, fromMs: number): Promise<HourlyRequests> {
  const { results } = await rd.d1
    .prepare(
      `SELECT hour, status / 100 AS cls, count(*) AS n FROM
         (SELECT hour, status FROM request_log WHERE tenant_id = ?1 AND hour >= ?2 ORDER BY hour DESC LIMIT ?3)
       GROUP BY hour, cls`,
    )
    .bind(tenantId, hourOf(fromMs), CHART_REQUEST_ROWS + 1)
    .all<{ hour: number; cls: number; n: number }>();
  const hours = new Map<number, Record<string, number>>();
  let total = 0;
  for (const r of results) {
    const counts = hours.get(r.hour) ?? {};
    counts[`${r.cls}xx`] = (counts[`${r.cls}xx`] ?? 0) + r.n;
    hours.set(r.hour, counts);
    total += r.n;
  }
  return { hours, truncated: total > CHART_REQUEST_ROWS };
}

export interface LicenceEventPoint {
  occurredAt: number;
  type: string;
  /** The licence's status as the event's data says (licence.removed: what the deleted user held). */
  status: string | null;
}

/** The tenant's licence events since `fromMs`, newest first, among its newest CHART_EVENT_ROWS events. */
export async function recentLicenceEvents(rd: RequestDatabase, tenantId: string, fromMs: number): Promise<LicenceEventPoint[]> {
  const { results } = await rd.d1
    .prepare(
      `SELECT occurred_at, type, json_extract(data, '$.status') AS status, tenant_seq FROM
         (SELECT occurred_at, type, data, tenant_seq FROM events WHERE tenant_id = ?1 ORDER BY tenant_seq DESC LIMIT ?3)
       WHERE type LIKE 'licence.%' AND occurred_at >= ?2 ORDER BY tenant_seq DESC`,
    )
    .bind(tenantId, fromMs, CHART_EVENT_ROWS)
    .all<{ occurred_at: number; type: string; status: string | null }>();
  return results.map((r) => ({ occurredAt: r.occurred_at, type: r.type, status: r.status }));
}
