/**
 * The list engine behind GET /Users, GET /Groups and POST /.search
 * (RFC 7644 §3.4.2). Three plans, cheapest first (docs/storage.md, "Which
 * filters are indexed"):
 *
 * 1. No filter: totalResults from the tenant counter, one page read in the
 *    order of an indexed column (id = creation order, userName, externalId,
 *    displayName). A page of k costs about k + startIndex rows.
 * 2. A filter with a seek (`id`, `userName`, `externalId`, work email,
 *    `displayName`, `members[value eq]` — what Entra and Okta send): the
 *    candidates come from an index, then the whole filter is evaluated in
 *    TypeScript on them, so the semantics are exactly the filter engine's.
 *    A paged seek (`groups[value eq]`: a group's members, possibly 100,000)
 *    is not read whole: alone, it is one count and one page of the
 *    memberships primary key; with other conditions or a sort, a keyset
 *    scan of that range only.
 * 3. Anything else scans the tenant's rows in keyset pages of SCAN_PAGE,
 *    evaluating the filter in TypeScript and keeping only the page asked for
 *    (or only sort keys), so memory stays bounded.
 */
import type { BoundFilter } from "../scim/filter/bind.js";
import { foldCase, matchesFilter } from "../scim/filter/index.js";
import type { Seek } from "../scim/filter/seek.js";
import type { ResolvedPath } from "../scim/schema/index.js";
import type { RequestDatabase } from "./database.js";

const SCAN_PAGE = 500;
/** Safety bound on rows a non-unique seek may return before the filter runs. */
const SEEK_LIMIT = 10_000;

export interface ListPlanInput {
  filter?: BoundFilter;
  seek?: Seek;
  startIndex: number;
  count: number;
  sort?: { path: ResolvedPath; descending: boolean };
}

export interface ListTable<Row> {
  table: "users" | "groups";
  /** The tenant_stats column holding the row count. */
  counter: "users" | "groups";
  /** Indexed columns a seek can use, with whether the value is case-folded. */
  seekColumns: Partial<Record<Seek["kind"], { column: string; fold: boolean }>>;
  /** Indexed sort columns, by canonical attribute name (lower-case). */
  sortColumns: Record<string, string>;
  /** A custom seek (e.g. groups by member) as SQL returning table rows; ?1 = tenant, ?2 = value. */
  seekSql?: Partial<Record<Seek["kind"], string>>;
  /**
   * A seek over a range too large to read whole (the members of a group),
   * answered a page at a time: `SELECT key FROM from WHERE where` (?1 =
   * tenant, ?2 = value) lists the ids of the matching rows in index order.
   */
  pagedSeek?: Partial<Record<Seek["kind"], PagedSeek>>;
  fromRow(row: Record<string, unknown>): Row;
  /** The SCIM view the filter is evaluated on (doc + id, externalId, meta). */
  filterable(row: Row): Record<string, unknown>;
  id(row: Row): string;
}

export interface PagedSeek {
  from: string;
  where: string;
  /** The column of `from` holding the row's id, ordered by the index that serves `where`. */
  key: string;
}

export interface ListResult<Row> {
  total: number;
  rows: Row[];
}

function sortValue(resource: Record<string, unknown>, path: ResolvedPath): string | number | undefined {
  if (!path.attribute) return undefined;
  const holder = path.isExtension ? (resource[path.schema.id] as Record<string, unknown> | undefined) : resource;
  let value: unknown = holder?.[path.attribute.name];
  // RFC 7644 §3.4.2.3: a multi-valued attribute sorts by its primary (else first) value.
  if (Array.isArray(value)) {
    const list = value as Array<Record<string, unknown>>;
    value = list.find((v) => v && typeof v === "object" && v.primary === true) ?? list[0];
  }
  const sub = path.subAttribute?.name ?? (value && typeof value === "object" ? "value" : undefined);
  if (sub && value && typeof value === "object") value = (value as Record<string, unknown>)[sub];
  if (typeof value === "number") return value;
  if (typeof value === "boolean") return value ? 1 : 0;
  if (typeof value !== "string") return undefined;
  const caseExact = (path.subAttribute ?? path.attribute).caseExact;
  return caseExact ? value : foldCase(value);
}

function compareSortValues(a: string | number | undefined, b: string | number | undefined): number {
  // Unassigned values sort last in ascending order.
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
 * every candidate of the seek — one for the filters Entra and Okta send, at
 * most SEEK_LIMIT for a value many users share. Plan 3 leaves them out: it
 * reads every row of the tenant and keeps a page, so the caller reads them
 * for that page afterwards.
 */
export async function listRows<Row>(
  rd: RequestDatabase,
  t: ListTable<Row>,
  tenantId: string,
  q: ListPlanInput,
  withColumns?: string,
): Promise<ListResult<Row>> {
  const select = `SELECT t.*${withColumns ? `, ${withColumns}` : ""} FROM ${t.table} t`;
  const sortColumn = q.sort ? t.sortColumns[sortName(q.sort.path)] : "id";
  // Plan 1: no filter, indexed order.
  if (!q.filter && sortColumn !== undefined) {
    const total = await counterTotal(rd, tenantId, t.counter);
    if (q.count === 0 || q.startIndex > total) return { total, rows: [] };
    const dir = q.sort?.descending ? "DESC" : "ASC";
    const { results } = await rd.d1
      .prepare(`${select} WHERE t.tenant_id = ?1 ORDER BY t.${sortColumn} ${dir}, t.id ${dir} LIMIT ?2 OFFSET ?3`)
      .bind(tenantId, q.count, q.startIndex - 1)
      .all<Record<string, unknown>>();
    return { total, rows: results.map((r) => t.fromRow(r)) };
  }
  // Plan 2: seek, then filter in TypeScript.
  const seek = q.seek;
  const paged = seek ? t.pagedSeek?.[seek.kind] : undefined;
  if (seek && paged) {
    // The filter is the seek alone (a single conjunct), in key order: count and page in SQL.
    if (q.filter?.kind !== "and" && (!q.sort || sortColumn === "id")) {
      return pagedSeekRows(rd, t, tenantId, q, seek, paged, withColumns);
    }
    const source = (after: string) =>
      rd.d1.prepare(pagedSelect(t, paged, "", `AND ${paged.key} > ?3`, "ASC", `LIMIT ${SCAN_PAGE}`)).bind(tenantId, seek.value, after);
    return scan(rd, t, tenantId, q, source, membershipFacts(seek));
  }
  const seekSql = seek ? seekStatement(rd, t, tenantId, seek, select) : undefined;
  if (seekSql) {
    const { results } = await seekSql.all<Record<string, unknown>>();
    const facts = seek ? membershipFacts(seek) : {};
    const matched = results
      .map((r) => t.fromRow(r))
      .filter((row) => !q.filter || matchesFilter(q.filter, { ...t.filterable(row), ...facts }));
    return window(t, matched, q);
  }
  // Plan 3: keyset scan.
  return scan(rd, t, tenantId, q);
}

/**
 * Rows found through a membership seek are known to hold that membership;
 * the doc itself holds no members or groups, so the filter sees it here.
 */
function membershipFacts(seek: Seek): Record<string, unknown> {
  if (seek.kind === "memberValue") return { members: [{ value: seek.value }] };
  if (seek.kind === "groupValue") return { groups: [{ value: seek.value }] };
  return {};
}

/**
 * The rows of a window of a paged seek's range. The window is cut from the
 * index alone (a subquery), so an OFFSET skips index entries, not table
 * rows; then one primary-key read per row of the window.
 */
function pagedSelect<Row>(t: ListTable<Row>, paged: PagedSeek, columns: string, where: string, dir: "ASC" | "DESC", window: string): string {
  return `SELECT t.*${columns}
          FROM (SELECT ${paged.key} AS k FROM ${paged.from} WHERE ${paged.where} ${where} ORDER BY ${paged.key} ${dir} ${window}) p
          CROSS JOIN ${t.table} t ON t.tenant_id = ?1 AND t.id = p.k
          ORDER BY p.k ${dir}`;
}

/**
 * A paged seek on its own: totalResults is a count of the range (its index
 * entries, not the table's rows) and the page is read in key order with
 * LIMIT/OFFSET, in one batch. Rows read: the range's size for the count,
 * startIndex - 1 + count index entries and count table rows for the page.
 */
async function pagedSeekRows<Row>(
  rd: RequestDatabase,
  t: ListTable<Row>,
  tenantId: string,
  q: ListPlanInput,
  seek: Seek,
  paged: PagedSeek,
  withColumns: string | undefined,
): Promise<ListResult<Row>> {
  const count = rd.d1.prepare(`SELECT count(*) AS n FROM ${paged.from} WHERE ${paged.where}`).bind(tenantId, seek.value);
  if (q.count === 0) {
    const row = await count.first<{ n: number }>();
    return { total: row?.n ?? 0, rows: [] };
  }
  const dir = q.sort?.descending ? "DESC" : "ASC";
  const page = rd.d1
    .prepare(pagedSelect(t, paged, withColumns ? `, ${withColumns}` : "", "", dir, "LIMIT ?3 OFFSET ?4"))
    .bind(tenantId, seek.value, q.count, q.startIndex - 1);
  const [counted, rows] = await rd.d1.batch<Record<string, unknown>>([count, page]);
  const total = Number(counted?.results[0]?.["n"] ?? 0);
  return { total, rows: (rows?.results ?? []).map((r) => t.fromRow(r)) };
}

function sortName(path: ResolvedPath): string {
  if (!path.attribute) return "";
  if (path.isExtension) return `${path.schema.id}:${path.attribute.name}`.toLowerCase();
  return (path.subAttribute ? `${path.attribute.name}.${path.subAttribute.name}` : path.attribute.name).toLowerCase();
}

function seekStatement<Row>(rd: RequestDatabase, t: ListTable<Row>, tenantId: string, seek: Seek, select: string): D1PreparedStatement | undefined {
  const custom = t.seekSql?.[seek.kind];
  if (custom) return rd.d1.prepare(custom).bind(tenantId, seek.value);
  const col = t.seekColumns[seek.kind];
  if (!col) return undefined;
  const value = col.fold ? foldCase(seek.value) : seek.value;
  // `ORDER BY +id`, not `ORDER BY id`: with a plain `id` the planner may walk
  // the (tenant_id, id) primary key to skip the sort and test the seek column
  // on every row of the tenant (externalId / work-email lookups read 20,001
  // rows at 20,000 users). The unary + keeps the order but takes the primary
  // key out of the running, so the seek column's index is used.
  return rd.d1
    .prepare(`${select} WHERE t.tenant_id = ?1 AND t.${col.column} = ?2 ORDER BY +t.id LIMIT ${SEEK_LIMIT}`)
    .bind(tenantId, value);
}

function window<Row>(t: ListTable<Row>, matched: Row[], q: ListPlanInput): ListResult<Row> {
  let ordered = [...matched].sort((a, b) => (t.id(a) < t.id(b) ? -1 : t.id(a) > t.id(b) ? 1 : 0));
  if (q.sort) {
    const sort = q.sort;
    const keyed = ordered.map((row) => ({ row, key: sortValue(t.filterable(row), sort.path) }));
    keyed.sort((a, b) => compareSortValues(a.key, b.key) * (sort.descending ? -1 : 1) || (t.id(a.row) < t.id(b.row) ? -1 : 1));
    ordered = keyed.map((k) => k.row);
  }
  return { total: matched.length, rows: q.count === 0 ? [] : ordered.slice(q.startIndex - 1, q.startIndex - 1 + q.count) };
}

/**
 * Keyset pages of SCAN_PAGE rows in id order: by default every row of the
 * tenant; `source` narrows it (a paged seek's range), and `facts` are what
 * the filter may assume of every row of that source.
 */
async function scan<Row>(
  rd: RequestDatabase,
  t: ListTable<Row>,
  tenantId: string,
  q: ListPlanInput,
  source: (after: string) => D1PreparedStatement = (after) =>
    rd.d1.prepare(`SELECT * FROM ${t.table} WHERE tenant_id = ?1 AND id > ?2 ORDER BY id LIMIT ${SCAN_PAGE}`).bind(tenantId, after),
  facts: Record<string, unknown> = {},
): Promise<ListResult<Row>> {
  let after = "";
  let total = 0;
  const page: Row[] = [];
  const keys: Array<{ id: string; key: string | number | undefined }> = [];
  const first = q.startIndex - 1;
  for (;;) {
    const { results } = await source(after).all<Record<string, unknown>>();
    for (const raw of results) {
      const row = t.fromRow(raw);
      const view = { ...t.filterable(row), ...facts };
      if (q.filter && !matchesFilter(q.filter, view)) continue;
      if (q.sort) keys.push({ id: t.id(row), key: sortValue(view, q.sort.path) });
      else if (total >= first && page.length < q.count) page.push(row);
      total += 1;
    }
    if (results.length < SCAN_PAGE) break;
    after = t.id(t.fromRow(results[results.length - 1] as Record<string, unknown>));
  }
  if (!q.sort) return { total, rows: page };
  const sort = q.sort;
  keys.sort((a, b) => compareSortValues(a.key, b.key) * (sort.descending ? -1 : 1) || (a.id < b.id ? -1 : 1));
  const ids = q.count === 0 ? [] : keys.slice(first, first + q.count).map((k) => k.id);
  if (ids.length === 0) return { total, rows: [] };
  const { results } = await rd.d1
    .prepare(`SELECT t.* FROM json_each(?2) j CROSS JOIN ${t.table} t ON t.tenant_id = ?1 AND t.id = j.value ORDER BY j.key`)
    .bind(tenantId, JSON.stringify(ids))
    .all<Record<string, unknown>>();
  return { total, rows: results.map((r) => t.fromRow(r)) };
}
