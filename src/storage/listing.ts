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
 * 2. A source (an indexed equality, custom SQL, or a range too large to read
 *    whole): the candidates come from an index, then the predicate runs on
 *    each. A range (a group's members, possibly 100,000) is not read whole:
 *    when the predicate is the source itself, it is one count and one page
 *    of the index; otherwise a keyset scan of that range only.
 * 3. Anything else scans the tenant's rows in keyset pages of SCAN_PAGE,
 *    keeping only the page asked for (or only sort keys), so memory stays
 *    bounded.
 */
import type { RequestDatabase } from "./database.js";

const SCAN_PAGE = 500;
/** Safety bound on rows a non-unique seek may return before the predicate runs. */
const SEEK_LIMIT = 10_000;

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
  /** SQL returning table rows; ?1 = tenant, ?2 = value. */
  | { kind: "sql"; sql: string; value: string }
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
 * most SEEK_LIMIT for a value many users share. Plan 3 leaves them out: it
 * reads every row of the tenant and keeps a page, so the caller reads them
 * for that page afterwards.
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
    const dir = plan.sort?.descending ? "DESC" : "ASC";
    const { results } = await rd.d1
      .prepare(`${select} WHERE t.tenant_id = ?1 ORDER BY t.${sortColumn} ${dir}, t.id ${dir} LIMIT ?2 OFFSET ?3`)
      .bind(tenantId, plan.count, plan.startIndex - 1)
      .all<Record<string, unknown>>();
    return { total, rows: results.map((r) => t.fromRow(r)) };
  }
  // Plan 2: a source, then the predicate.
  const source = plan.source;
  if (source?.kind === "range") {
    if (plan.sourceIsPredicate && (!plan.sort || sortColumn === "id")) return rangeRows(rd, t, tenantId, plan, source, withColumns);
    const scanRange = (after: string) =>
      rd.d1.prepare(rangeSelect(t, source.range, "", `AND ${source.range.key} > ?3`, "ASC", `LIMIT ${SCAN_PAGE}`)).bind(tenantId, source.value, after);
    return scan(rd, t, tenantId, plan, scanRange);
  }
  if (source) {
    const { results } = await sourceStatement(rd, tenantId, source, select).all<Record<string, unknown>>();
    const matched = results.map((r) => t.fromRow(r)).filter((row) => !plan.predicate || plan.predicate(row));
    return window(t, matched, plan);
  }
  // Plan 3: keyset scan.
  return scan(rd, t, tenantId, plan);
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
  if (plan.count === 0) {
    const row = await count.first<{ n: number }>();
    return { total: row?.n ?? 0, rows: [] };
  }
  const dir = plan.sort?.descending ? "DESC" : "ASC";
  const page = rd.d1
    .prepare(rangeSelect(t, source.range, withColumns ? `, ${withColumns}` : "", "", dir, "LIMIT ?3 OFFSET ?4"))
    .bind(tenantId, source.value, plan.count, plan.startIndex - 1);
  const [counted, rows] = await rd.d1.batch<Record<string, unknown>>([count, page]);
  const total = Number(counted?.results[0]?.["n"] ?? 0);
  return { total, rows: (rows?.results ?? []).map((r) => t.fromRow(r)) };
}

function sourceStatement(rd: RequestDatabase, tenantId: string, source: Exclude<ListSource, { kind: "range" }>, select: string): D1PreparedStatement {
  if (source.kind === "sql") return rd.d1.prepare(source.sql).bind(tenantId, source.value);
  // `ORDER BY +id`, not `ORDER BY id`: with a plain `id` the planner may walk
  // the (tenant_id, id) primary key to skip the sort and test the seek column
  // on every row of the tenant (externalId / work-email lookups read 20,001
  // rows at 20,000 users). The unary + keeps the order but takes the primary
  // key out of the running, so the seek column's index is used.
  return rd.d1
    .prepare(`${select} WHERE t.tenant_id = ?1 AND t.${source.column} = ?2 ORDER BY +t.id LIMIT ${SEEK_LIMIT}`)
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
 * Keyset pages of SCAN_PAGE rows in id order: by default every row of the
 * tenant; `source` narrows it (a range).
 */
async function scan<Row>(
  rd: RequestDatabase,
  t: ListTable<Row>,
  tenantId: string,
  plan: ListPlan<Row>,
  source: (after: string) => D1PreparedStatement = (after) =>
    rd.d1.prepare(`SELECT * FROM ${t.table} WHERE tenant_id = ?1 AND id > ?2 ORDER BY id LIMIT ${SCAN_PAGE}`).bind(tenantId, after),
): Promise<ListResult<Row>> {
  let after = "";
  let total = 0;
  const page: Row[] = [];
  const keys: Array<{ id: string; key: SortKey }> = [];
  const first = plan.startIndex - 1;
  for (;;) {
    const { results } = await source(after).all<Record<string, unknown>>();
    for (const raw of results) {
      const row = t.fromRow(raw);
      if (plan.predicate && !plan.predicate(row)) continue;
      if (plan.sort) keys.push({ id: t.id(row), key: plan.sort.key(row) });
      else if (total >= first && page.length < plan.count) page.push(row);
      total += 1;
    }
    if (results.length < SCAN_PAGE) break;
    after = t.id(t.fromRow(results[results.length - 1] as Record<string, unknown>));
  }
  if (!plan.sort) return { total, rows: page };
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
