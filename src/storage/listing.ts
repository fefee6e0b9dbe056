/**
 * The list engine behind GET /Users, GET /Groups and POST /.search
 * (RFC 7644 §3.4.2). Storage does not interpret SCIM: the provisioning layer
 * (src/provisioning/list-plan.ts) turns a filter into a ListPlan — where the
 * candidates come from (an index) and a plain predicate over rows — and this
 * module runs the cheapest SQL for it. Three plans, cheapest first
 * (docs/storage.md, "Which filters are indexed"):
 *
 * 1. No predicate: totalResults from the tenant counter, one page read in the
 *    order of an indexed column. A page of k costs about k + startIndex rows.
 * 2. A source (an indexed equality or a range too large to read whole): the
 *    candidates come from an index, then the predicate runs on each. A range
 *    (a group's members, possibly 100,000) is not read whole: when the
 *    predicate is the source itself, it is one count and one page of the
 *    index; otherwise a keyset scan of that range only.
 * 3. Anything else scans the tenant's rows in keyset pages of SCAN_PAGE,
 *    keeping only the page asked for (or only sort keys), so memory stays
 *    bounded.
 *
 * Bounded work per request, whatever the tenant's size (LIST_LIMITS): a plan
 * that would read more than its limit stops — before reading when a counter
 * tells, else once past the limit — with ListTooCostly, which the SCIM layer
 * answers as 400 tooMany naming what to send instead (RFC 7644 §3.12). So no
 * list request reads more than about 11,000 rows or runs more than 15
 * statements, at 10 users or at 1,000,000. One read follows a group rather
 * than a fixed bound, because the IdPs' membership filters must be answered
 * in full: the count behind totalResults of a range (the group's member
 * entries, or the user's membership entries).
 */
import type { RequestDatabase } from "./database.js";

/** Rows per keyset page of a scan: at most LIST_LIMITS.scanRows / SCAN_PAGE + 1 statements. */
const SCAN_PAGE = 1_000;

/** What one list request may read (docs/storage.md, "Bounded work per request"). */
export const LIST_LIMITS = {
  /** Tenant rows plan 3 may scan (a filter or sort no index answers). */
  scanRows: 10_000,
  /** Entries of a range scanned when other conditions or a sort apply: each costs its index entry and its row. */
  rangeEntries: 5_000,
  /** Candidates of a seek on a non-unique index (externalId, work e-mail) before the predicate runs. */
  seekCandidates: 1_000,
  /** Index entries an OFFSET may skip: startIndex - 1 (RFC 7644 paging is by offset). */
  offset: 10_000,
} as const;

export type ListLimit = "scan" | "range" | "seek" | "offset";

/** A plan would read more than LIST_LIMITS allows; nothing was returned. */
export class ListTooCostly extends Error {
  constructor(
    readonly limit: ListLimit,
    readonly bound: number,
  ) {
    super(`The list would read more than its ${limit} limit of ${bound}.`);
    this.name = "ListTooCostly";
  }
}

function checkOffset(startIndex: number): void {
  if (startIndex - 1 > LIST_LIMITS.offset) throw new ListTooCostly("offset", LIST_LIMITS.offset);
}

/** A table that can be listed: its name, its tenant_stats counter and its row mapper. */
export interface ListTable<Row> {
  table: "users" | "groups";
  /** The tenant_stats column holding the row count. */
  counter: "users" | "groups";
  fromRow(row: Record<string, unknown>): Row;
  id(row: Row): string;
}

/**
 * A range too large to read whole (the members of a group), answered a page
 * at a time: `SELECT key FROM from WHERE where` (?1 = tenant, ?2 = value)
 * lists the ids of the matching rows in index order.
 */
export interface ListRange {
  from: string;
  where: string;
  /** The column of `from` holding the row's id, ordered by the index that serves `where`. */
  key: string;
}

/** Where the candidates of a plan come from. */
export type ListSource =
  /** An indexed column equal to `value` (already normalised as the column stores it). */
  | { kind: "column"; column: string; value: string }
  | { kind: "range"; range: ListRange; value: string };

export type SortKey = string | number | undefined;

export interface ListPlan<Row> {
  startIndex: number;
  count: number;
  source?: ListSource;
  /** Rows to keep; absent → every row (plan 1, or every candidate of the source). */
  predicate?: (row: Row) => boolean;
  /** The predicate holds for exactly the source's rows: a range can be counted and paged in SQL. */
  sourceIsPredicate?: boolean;
  /** `column`: an indexed column giving the same order as `key` (plan 1 sorts in SQL). */
  sort?: { column?: string; key: (row: Row) => SortKey; descending: boolean };
  /**
   * Plan 1 in id order: the id of the row at position `index` (1-based),
   * remembered from the page that ended there, so a deep page seeks past it
   * and skips only `startIndex - index - 1` entries instead of
   * `startIndex - 1` (see pageAnchorKey).
   */
  anchor?: { index: number; id: string };
}

/**
 * Whether a plan pages the table in its plain id order (plan 1 without a
 * sort, or sorted by id ascending): the only order page anchors serve. An
 * identity provider's import (Okta) pages this way, startIndex by startIndex.
 */
export function pagesInIdOrder<Row>(plan: ListPlan<Row>): boolean {
  return !plan.predicate && !plan.source && (!plan.sort || (plan.sort.column === "id" && !plan.sort.descending));
}

export interface ListResult<Row> {
  total: number;
  rows: Row[];
}

function compareSortKeys(a: SortKey, b: SortKey): number {
  // Unassigned values sort last in ascending order (RFC 7644 §3.4.2.3).
  if (a === undefined) return b === undefined ? 0 : 1;
  if (b === undefined) return -1;
  return a < b ? -1 : a > b ? 1 : 0;
}

async function counterTotal(rd: RequestDatabase, tenantId: string, counter: string): Promise<number> {
  const row = await rd.d1.prepare(`SELECT ${counter} AS n FROM tenant_stats WHERE tenant_id = ?1`).bind(tenantId).first<{ n: number }>();
  return row?.n ?? 0;
}

/**
 * `withColumns`: select-list columns (over the table aliased `t`) read with
 * the rows of plans 1 and 2, e.g. a user's groups. Plan 2 reads them for
 * every candidate of the source — one for the filters Entra and Okta send, at
 * most LIST_LIMITS.seekCandidates for a value many users share. Plan 3 leaves
 * them out: it reads every row of the tenant and keeps a page, so the caller
 * reads them for that page afterwards.
 */
export async function listRows<Row>(
  rd: RequestDatabase,
  t: ListTable<Row>,
  tenantId: string,
  plan: ListPlan<Row>,
  withColumns?: string,
): Promise<ListResult<Row>> {
  const select = `SELECT t.*${withColumns ? `, ${withColumns}` : ""} FROM ${t.table} t`;
  const sortColumn = plan.sort ? plan.sort.column : "id";
  // Plan 1: no predicate, indexed order.
  if (!plan.predicate && sortColumn !== undefined) {
    const total = await counterTotal(rd, tenantId, t.counter);
    if (plan.count === 0 || plan.startIndex > total) return { total, rows: [] };
    const anchor = plan.anchor;
    if (anchor && pagesInIdOrder(plan) && anchor.index < plan.startIndex) {
      // RFC 7644 §3.4.2.4 paging by offset, answered from the anchor: the
      // primary key seeks past it, then skips what lies between.
      checkOffset(plan.startIndex - anchor.index);
      const { results } = await rd.d1
        .prepare(`${select} WHERE t.tenant_id = ?1 AND t.id > ?4 ORDER BY t.id LIMIT ?2 OFFSET ?3`)
        .bind(tenantId, plan.count, plan.startIndex - anchor.index - 1, anchor.id)
        .all<Record<string, unknown>>();
      return { total, rows: results.map((r) => t.fromRow(r)) };
    }
    checkOffset(plan.startIndex);
    const dir = plan.sort?.descending ? "DESC" : "ASC";
    // Ties broken by rowid, the last column of every (tenant_id, column)
    // index: the page is read in index order and LIMIT stops the read. With
    // `t.id` as the tie-break, a non-unique column (externalId, absent for
    // most users) is sorted run by run in a temporary B-tree, and the run of
    // users without one is the whole tenant.
    const { results } = await rd.d1
      .prepare(`${select} WHERE t.tenant_id = ?1 ORDER BY t.${sortColumn} ${dir}, t.rowid ${dir} LIMIT ?2 OFFSET ?3`)
      .bind(tenantId, plan.count, plan.startIndex - 1)
      .all<Record<string, unknown>>();
    return { total, rows: results.map((r) => t.fromRow(r)) };
  }
  // Plan 2: a source, then the predicate.
  const source = plan.source;
  if (source?.kind === "range") {
    if (plan.sourceIsPredicate && (!plan.sort || sortColumn === "id")) return rangeRows(rd, t, tenantId, plan, source, withColumns);
    const scanRange = (after: string, limit: number) =>
      rd.d1.prepare(rangeSelect(t, source.range, "", `AND ${source.range.key} > ?3`, "ASC", `LIMIT ${limit}`)).bind(tenantId, source.value, after);
    return scan(rd, t, tenantId, plan, "range", LIST_LIMITS.rangeEntries, scanRange);
  }
  if (source) {
    const { results } = await sourceStatement(rd, tenantId, source, select).all<Record<string, unknown>>();
    if (results.length > LIST_LIMITS.seekCandidates) throw new ListTooCostly("seek", LIST_LIMITS.seekCandidates);
    const matched = results.map((r) => t.fromRow(r)).filter((row) => !plan.predicate || plan.predicate(row));
    return window(t, matched, plan);
  }
  // Plan 3: keyset scan, refused up front when the counter says the tenant is larger than the scan may read.
  if ((await counterTotal(rd, tenantId, t.counter)) > LIST_LIMITS.scanRows) throw new ListTooCostly("scan", LIST_LIMITS.scanRows);
  return scan(rd, t, tenantId, plan, "scan", LIST_LIMITS.scanRows, (after, limit) =>
    rd.d1.prepare(`SELECT * FROM ${t.table} WHERE tenant_id = ?1 AND id > ?2 ORDER BY id LIMIT ${limit}`).bind(tenantId, after),
  );
}

/**
 * The rows of a window of a range. The window is cut from the index alone
 * (a subquery), so an OFFSET skips index entries, not table rows; then one
 * primary-key read per row of the window.
 */
function rangeSelect<Row>(t: ListTable<Row>, range: ListRange, columns: string, where: string, dir: "ASC" | "DESC", window: string): string {
  return `SELECT t.*${columns}
          FROM (SELECT ${range.key} AS k FROM ${range.from} WHERE ${range.where} ${where} ORDER BY ${range.key} ${dir} ${window}) p
          CROSS JOIN ${t.table} t ON t.tenant_id = ?1 AND t.id = p.k
          ORDER BY p.k ${dir}`;
}

/**
 * A range on its own: totalResults is a count of the range (its index
 * entries, not the table's rows) and the page is read in key order with
 * LIMIT/OFFSET, in one batch. Rows read: the range's size for the count,
 * startIndex - 1 + count index entries and count table rows for the page.
 */
async function rangeRows<Row>(
  rd: RequestDatabase,
  t: ListTable<Row>,
  tenantId: string,
  plan: ListPlan<Row>,
  source: Extract<ListSource, { kind: "range" }>,
  withColumns: string | undefined,
): Promise<ListResult<Row>> {
  const count = rd.d1.prepare(`SELECT count(*) AS n FROM ${source.range.from} WHERE ${source.range.where}`).bind(tenantId, source.value);
  if (plan.count === 0 || plan.startIndex - 1 > LIST_LIMITS.offset) {
    const row = await count.first<{ n: number }>();
    const total = row?.n ?? 0;
    // Past the end is an empty page, as in plan 1; an offset past the limit within the range is refused.
    if (plan.count > 0 && plan.startIndex <= total) checkOffset(plan.startIndex);
    return { total, rows: [] };
  }
  const dir = plan.sort?.descending ? "DESC" : "ASC";
  const page = rd.d1
    .prepare(rangeSelect(t, source.range, withColumns ? `, ${withColumns}` : "", "", dir, "LIMIT ?3 OFFSET ?4"))
    .bind(tenantId, source.value, plan.count, plan.startIndex - 1);
  const [counted, rows] = await rd.d1.batch<Record<string, unknown>>([count, page]);
  const total = Number(counted?.results[0]?.["n"] ?? 0);
  return { total, rows: (rows?.results ?? []).map((r) => t.fromRow(r)) };
}

function sourceStatement(rd: RequestDatabase, tenantId: string, source: Extract<ListSource, { kind: "column" }>, select: string): D1PreparedStatement {
  // No ORDER BY: the candidates are read in the seek column's index order, so
  // LIMIT stops the read one past the limit (window() sorts them by id). An
  // ORDER BY id would sort every match in a temporary B-tree first, and
  // `ORDER BY id` without the unary + even lets the planner walk the
  // (tenant_id, id) primary key and test the seek column on every row of the
  // tenant.
  return rd.d1
    .prepare(`${select} WHERE t.tenant_id = ?1 AND t.${source.column} = ?2 LIMIT ${LIST_LIMITS.seekCandidates + 1}`)
    .bind(tenantId, source.value);
}

function byId<Row>(t: ListTable<Row>) {
  return (a: Row, b: Row) => (t.id(a) < t.id(b) ? -1 : t.id(a) > t.id(b) ? 1 : 0);
}

function window<Row>(t: ListTable<Row>, matched: Row[], plan: ListPlan<Row>): ListResult<Row> {
  let ordered = [...matched].sort(byId(t));
  if (plan.sort) {
    const sort = plan.sort;
    const keyed = ordered.map((row) => ({ row, key: sort.key(row) }));
    keyed.sort((a, b) => compareSortKeys(a.key, b.key) * (sort.descending ? -1 : 1) || byId(t)(a.row, b.row));
    ordered = keyed.map((k) => k.row);
  }
  const first = plan.startIndex - 1;
  return { total: matched.length, rows: plan.count === 0 ? [] : ordered.slice(first, first + plan.count) };
}

/**
 * Keyset pages of at most SCAN_PAGE rows in id order (`page(after, limit)`:
 * the tenant's rows, or a range's), at most `limit` rows in all: one more
 * means the plan is refused with ListTooCostly(`kind`).
 */
async function scan<Row>(
  rd: RequestDatabase,
  t: ListTable<Row>,
  tenantId: string,
  plan: ListPlan<Row>,
  kind: ListLimit,
  limit: number,
  page: (after: string, limit: number) => D1PreparedStatement,
): Promise<ListResult<Row>> {
  let after = "";
  let total = 0;
  let scanned = 0;
  const kept: Row[] = [];
  const keys: Array<{ id: string; key: SortKey }> = [];
  const first = plan.startIndex - 1;
  for (;;) {
    const size = Math.min(SCAN_PAGE, limit + 1 - scanned);
    const { results } = await page(after, size).all<Record<string, unknown>>();
    scanned += results.length;
    if (scanned > limit) throw new ListTooCostly(kind, limit);
    for (const raw of results) {
      const row = t.fromRow(raw);
      if (plan.predicate && !plan.predicate(row)) continue;
      if (plan.sort) keys.push({ id: t.id(row), key: plan.sort.key(row) });
      else if (total >= first && kept.length < plan.count) kept.push(row);
      total += 1;
    }
    if (results.length < size) break;
    after = t.id(t.fromRow(results[results.length - 1] as Record<string, unknown>));
  }
  if (!plan.sort) return { total, rows: kept };
  const sort = plan.sort;
  keys.sort((a, b) => compareSortKeys(a.key, b.key) * (sort.descending ? -1 : 1) || (a.id < b.id ? -1 : 1));
  const ids = plan.count === 0 ? [] : keys.slice(first, first + plan.count).map((k) => k.id);
  if (ids.length === 0) return { total, rows: [] };
  const { results } = await rd.d1
    .prepare(`SELECT t.* FROM json_each(?2) j CROSS JOIN ${t.table} t ON t.tenant_id = ?1 AND t.id = j.value ORDER BY j.key`)
    .bind(tenantId, JSON.stringify(ids))
    .all<Record<string, unknown>>();
  return { total, rows: results.map((r) => t.fromRow(r)) };
}
