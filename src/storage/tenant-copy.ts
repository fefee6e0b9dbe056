/**
 * A tenant's rows copied between data shards by a move (src/moves/,
 * docs/sharding.md "Moving a tenant"): pages read in primary-key order,
 * written on the other shard one statement per page (the rows bound as one
 * JSON text and expanded with json_each: D1 allows 100 bound parameters per
 * statement), ranges read back to verify, and bounded deletes of a copy.
 *
 * Every statement is scoped by tenant and reads at most one page (LIMIT) of
 * rows through the table's primary key, so a step costs the same whatever
 * the tenant's size, and no statement holds a shard's single writer for
 * long (D1 runs one query at a time per database).
 */
import { getTableConfig, type SQLiteTable } from "drizzle-orm/sqlite-core";
import { LAST_SEQ } from "./events.js";
import { events, groups, licences, memberships, requestLog, tenants, tenantStats, users } from "./schema.js";
import { isLostRace } from "./write-guard.js";

/** The tables of a tenant's data a move copies, in foreign-key order (memberships and licences reference users and groups). */
export const COPY_TABLES = ["users", "groups", "memberships", "licences", "events", "request_log"] as const;
export type CopyTable = (typeof COPY_TABLES)[number];

/** A value as D1 returns it: TEXT, INTEGER (REAL) or NULL; our tables hold no BLOB. */
export type Cell = string | number | null;
/** A row as an array, in the order of its table's `columns`. */
export type CopyRow = Cell[];
/** A primary key after tenant_id, as an array (users: [id]; request_log: [hour, resource_id, at, request_id]). */
export type Key = Array<string | number>;

interface TableSpec {
  name: string;
  /** Every column, in schema order: what a copy reads and writes, so a column added later is copied too. */
  columns: string[];
  /** The primary key after tenant_id: the page order. */
  key: string[];
}

const columnsOf = (table: SQLiteTable): string[] => getTableConfig(table).columns.map((c) => c.name);

const SPECS: Record<CopyTable, TableSpec> = {
  users: { name: "users", columns: columnsOf(users), key: ["id"] },
  groups: { name: "groups", columns: columnsOf(groups), key: ["id"] },
  memberships: { name: "memberships", columns: columnsOf(memberships), key: ["group_id", "user_id"] },
  licences: { name: "licences", columns: columnsOf(licences), key: ["user_id"] },
  // Events are paged by the tenant's own sequence (events_tenant_seq_uq): the global seq is the shard's.
  events: { name: "events", columns: columnsOf(events), key: ["tenant_seq"] },
  request_log: { name: "request_log", columns: columnsOf(requestLog), key: ["hour", "resource_id", "at", "request_id"] },
};

/** The columns of a table a copy carries (test/shards checks that they are the schema's). */
export function copiedColumns(table: CopyTable): readonly string[] {
  return SPECS[table].columns;
}

/**
 * Columns compared by verification, per table: every column, except that an
 * event's global `seq` is the shard's own (a copy gets a new one) and its
 * `origin` is compared as where it was first written, "<shard>:<seq>" — what
 * the copy records — so a native event and its copy compare equal.
 */
function comparedSelect(spec: TableSpec, shardParam: string): string {
  if (spec.name !== "events") return spec.columns.join(", ");
  return spec.columns
    .filter((c) => c !== "seq")
    .map((c) => (c === "origin" ? `coalesce(origin, ${shardParam} || ':' || seq) AS origin` : c))
    .join(", ");
}

/** Bounds of a read, besides the tenant. */
export interface RowRange {
  /** Strictly after this key; undefined: from the first. */
  after?: Key | undefined;
  /** At or after this key (inclusive); used by verification when the page starts at a key of the source. */
  from?: Key | undefined;
  /** Up to and including this key. */
  through?: Key | undefined;
  /** request_log only: hours in [hourFrom, hourBefore). */
  hourFrom?: number | undefined;
  hourBefore?: number | undefined;
  limit: number;
}

function keyTuple(spec: TableSpec): string {
  return `(${spec.key.join(", ")})`;
}

/** SELECT … WHERE tenant_id = ?1 AND <range> ORDER BY key LIMIT n; every bound parameter numbered. */
function rangeStatement(d1: D1Database, spec: TableSpec, select: string, tenantId: string, range: RowRange, extra: unknown[] = []): D1PreparedStatement {
  const params: unknown[] = [tenantId, ...extra];
  const slot = (value: unknown): string => {
    params.push(value);
    return `?${params.length}`;
  };
  const tuple = (key: Key): string => `(${key.map(slot).join(", ")})`;
  const where = [`tenant_id = ?1`];
  // Row values compare in key order and seek the primary key (SQLite "Row Values", §2.1).
  if (range.after) where.push(`${keyTuple(spec)} > ${tuple(range.after)}`);
  if (range.from) where.push(`${keyTuple(spec)} >= ${tuple(range.from)}`);
  if (range.through) where.push(`${keyTuple(spec)} <= ${tuple(range.through)}`);
  if (range.hourFrom !== undefined) where.push(`hour >= ${slot(range.hourFrom)}`);
  if (range.hourBefore !== undefined) where.push(`hour < ${slot(range.hourBefore)}`);
  const limit = slot(range.limit);
  return d1.prepare(`SELECT ${select} FROM ${spec.name} WHERE ${where.join(" AND ")} ORDER BY ${spec.key.join(", ")} LIMIT ${limit}`).bind(...params);
}

function toRows(results: Record<string, unknown>[], columns: string[]): CopyRow[] {
  return results.map((r) => columns.map((c) => (r[c] ?? null) as Cell));
}

/** The key of a row of `table` (its values of the key columns). */
export function keyOf(table: CopyTable, row: CopyRow): Key {
  const spec = SPECS[table];
  return spec.key.map((k) => row[spec.columns.indexOf(k)] as string | number);
}

/** A page of the tenant's rows of `table`, every column, in key order. Reads at most `range.limit` rows. */
export async function readCopyPage(d1: D1Database, table: CopyTable, tenantId: string, range: RowRange): Promise<CopyRow[]> {
  const spec = SPECS[table];
  const { results } = await rangeStatement(d1, spec, spec.columns.join(", "), tenantId, range).all<Record<string, unknown>>();
  return toRows(results, spec.columns);
}

/** Verification's view of a key range: the compared columns (comparedSelect), in key order; `shard` is the database read. */
export async function readComparedRange(d1: D1Database, shard: string, table: CopyTable, tenantId: string, range: RowRange): Promise<{ keys: Key[]; rows: CopyRow[] }> {
  const spec = SPECS[table];
  const isEvents = spec.name === "events";
  const select = comparedSelect(spec, "?2");
  const columns = isEvents ? spec.columns.filter((c) => c !== "seq") : spec.columns;
  const { results } = await rangeStatement(d1, spec, select, tenantId, range, isEvents ? [shard] : []).all<Record<string, unknown>>();
  const rows = toRows(results, columns);
  return { rows, keys: rows.map((r) => spec.key.map((k) => r[columns.indexOf(k)] as string | number)) };
}

/**
 * The statement that stops a copy batch once the target's copy of the tenant
 * is no longer this move's: it must exist with writes paused at the move's
 * `fence` (its start time) and not be marked moved. A roll-back changes that
 * first, so a page still in flight from a run that lost its lease fails as
 * a whole (D1 runs a batch as one transaction) instead of landing after the
 * roll-back deleted the copy. Fails through lost_races' CHECK (write-guard.ts).
 */
function fenceStatement(d1: D1Database, tenantId: string, fence: number): D1PreparedStatement {
  return d1
    .prepare(
      `INSERT INTO lost_races (resource) SELECT 'tenant-move' WHERE NOT EXISTS
         (SELECT 1 FROM tenants WHERE id = ?1 AND writes_paused_at = ?2 AND moved_to IS NULL)`,
    )
    .bind(tenantId, fence);
}

/** The target's copy of the tenant is not (or no longer) this move's: the batch changed nothing. */
export class MoveFenced extends Error {
  constructor(readonly tenantId: string) {
    super(`The target copy of tenant ${tenantId} no longer belongs to this move.`);
    this.name = "MoveFenced";
  }
}

async function fencedBatch(d1: D1Database, tenantId: string, fence: number, statements: D1PreparedStatement[]): Promise<D1Result[]> {
  try {
    return (await d1.batch([fenceStatement(d1, tenantId, fence), ...statements])).slice(1);
  } catch (err) {
    if (isLostRace(err)) throw new MoveFenced(tenantId);
    throw err;
  }
}

/** `j.value ->> N`: the N-th cell of a row bound as a JSON array. */
const cell = (n: number): string => `j.value ->> ${n}`;

function insertStatement(d1: D1Database, table: CopyTable, tenantId: string, rows: CopyRow[], from: string): D1PreparedStatement {
  const spec = SPECS[table];
  const at = (c: string): number => spec.columns.indexOf(c);
  if (table === "events") {
    // A new seq on this shard, after every event it ever numbered (LAST_SEQ, as storage/events.ts);
    // the tenant's sequence, and the origin of a native event ("<from>:<seq>"), are kept. OR IGNORE:
    // an event already here (a page copied again, or this shard's own from before the tenant left it)
    // keeps its row.
    const values = spec.columns.map((c) =>
      c === "seq"
        ? `${LAST_SEQ} + row_number() OVER (ORDER BY j.key)`
        : c === "tenant_id"
          ? "?2"
          : c === "origin"
            ? `coalesce(${cell(at("origin"))}, ?3 || ':' || (${cell(at("seq"))}))`
            : cell(at(c)),
    );
    return d1
      .prepare(`INSERT OR IGNORE INTO events (${spec.columns.join(", ")}) SELECT ${values.join(", ")} FROM json_each(?1) j`)
      .bind(JSON.stringify(rows), tenantId, from);
  }
  // tenant_id is bound, not taken from the rows: a copy can only ever write this tenant's rows.
  const values = spec.columns.map((c) => (c === "tenant_id" ? "?2" : cell(at(c))));
  // OR IGNORE: the source's rows do not change while its writes are paused, so a row already here is
  // this page copied before an interruption; verification compares every row anyway.
  return d1.prepare(`INSERT OR IGNORE INTO ${spec.name} (${spec.columns.join(", ")}) SELECT ${values.join(", ")} FROM json_each(?1) j`).bind(JSON.stringify(rows), tenantId);
}

/**
 * Writes a page on the target, behind the move's fence: one batch, one
 * transaction. Rows already there are left as they are (a page copied
 * again after an interruption changes nothing).
 */
export async function writeCopyPage(d1: D1Database, table: CopyTable, tenantId: string, rows: CopyRow[], fence: number, from: string): Promise<void> {
  if (rows.length === 0) return;
  await fencedBatch(d1, tenantId, fence, [insertStatement(d1, table, tenantId, rows, from)]);
}

/** The provisioning log entries written on the old shard while the tenant moved: no fence, the copy is live by then. */
export async function writeLogCatchUp(d1: D1Database, tenantId: string, rows: CopyRow[]): Promise<void> {
  if (rows.length > 0) await insertStatement(d1, "request_log", tenantId, rows, "").run();
}

// ---------------------------------------------------------------------------
// The tenant's copy row and counters on a shard.

const tenantColumns = columnsOf(tenants);
const statsColumns = columnsOf(tenantStats);

/** The tenant's row on a shard (its copy; on the control database, the control row itself), deleted or not. 1 row read. */
export async function readTenantCopy(d1: D1Database, tenantId: string): Promise<Record<string, Cell> | undefined> {
  const row = await d1.prepare(`SELECT ${tenantColumns.join(", ")} FROM tenants WHERE id = ?1`).bind(tenantId).first<Record<string, Cell>>();
  return row ?? undefined;
}

/** The tenant's counters row on a shard. 1 row read. */
export async function readTenantStatsRow(d1: D1Database, tenantId: string): Promise<Record<string, Cell> | undefined> {
  const row = await d1.prepare(`SELECT ${statsColumns.join(", ")} FROM tenant_stats WHERE tenant_id = ?1`).bind(tenantId).first<Record<string, Cell>>();
  return row ?? undefined;
}

/** The last global seq a shard has numbered (storage/events.ts LAST_SEQ): events of the tenant above it on the target are the move's. */
export async function lastEventSeq(d1: D1Database): Promise<number> {
  return Number((await d1.prepare(`SELECT ${LAST_SEQ} AS s`).first<{ s: number }>())?.s ?? 0);
}

/** The policy columns and counters verification compares between the two copies. */
export const COMPARED_TENANT_COLUMNS = ["name", "allowed_domains", "pro_grace_hours", "locations", "licence_when_absent", "created_at", "updated_at", "deleted_at"] as const;
export const COMPARED_STATS_COLUMNS = ["users", "active_users", "groups", "memberships", "pro_licenses", "downgraded_licenses"] as const;

const rowJson = (columns: string[], record: Record<string, Cell>): string => JSON.stringify([columns.map((c) => record[c] ?? null)]);

/**
 * Makes the target's copy of the tenant, writes paused at `fence`, with its
 * counters: one batch. On a shard other than the control database the copy
 * is replaced whole (INSERT OR REPLACE: it may be the tombstone an earlier
 * move left there). On the control database the copy is the control row
 * itself, whose `shard` must keep naming the source until the switch: only
 * its copy columns change.
 */
export async function prepareTargetCopy(
  d1: D1Database,
  target: { binding: string; isControl: boolean },
  source: { row: Record<string, Cell>; stats: Record<string, Cell> | undefined },
  fence: number,
): Promise<void> {
  const tenantId = source.row.id as string;
  const stats = source.stats ?? { tenant_id: tenantId };
  const statements: D1PreparedStatement[] = [];
  if (target.isControl) {
    statements.push(d1.prepare(`UPDATE tenants SET writes_paused_at = ?2, moved_to = NULL WHERE id = ?1`).bind(tenantId, fence));
  } else {
    const row: Record<string, Cell> = { ...source.row, shard: target.binding, writes_paused_at: fence, moved_to: null, deleted_at: null };
    statements.push(
      d1
        .prepare(`INSERT OR REPLACE INTO tenants (${tenantColumns.join(", ")}) SELECT ${tenantColumns.map((_, i) => cell(i)).join(", ")} FROM json_each(?1) j`)
        .bind(rowJson(tenantColumns, row)),
    );
  }
  statements.push(
    d1
      .prepare(`INSERT OR REPLACE INTO tenant_stats (${statsColumns.join(", ")}) SELECT ${statsColumns.map((c, i) => (c === "tenant_id" ? "?2" : cell(i))).join(", ")} FROM json_each(?1) j`)
      .bind(rowJson(statsColumns, stats as Record<string, Cell>), tenantId),
  );
  await d1.batch(statements);
}

/**
 * Pauses the tenant's SCIM writes on its shard (the move's start): every
 * write batch there checks it first (write-guard.ts), so from this commit
 * on no write lands on the copy being copied. `at` is the move's start time,
 * also its fence on the target. False when the copy is gone or already moved.
 */
export async function pauseWrites(d1: D1Database, tenantId: string, at: number): Promise<boolean> {
  const result = await d1
    .prepare(`UPDATE tenants SET writes_paused_at = ?2 WHERE id = ?1 AND deleted_at IS NULL AND moved_to IS NULL`)
    .bind(tenantId, at)
    .run();
  return (result.meta.changes ?? 0) > 0;
}

/** Resumes the tenant's writes on its shard (a move rolled back). Never on an old copy (moved_to set). */
export async function resumeWrites(d1: D1Database, tenantId: string): Promise<void> {
  await d1.prepare(`UPDATE tenants SET writes_paused_at = NULL WHERE id = ?1 AND moved_to IS NULL`).bind(tenantId).run();
}

/**
 * The switch, on the target: the copy takes writes, and its counters carry
 * on where the source's retention pruned events to. Behind the fence (so
 * only this move's copy is opened) unless a previous attempt already opened it.
 */
export async function openTargetCopy(d1: D1Database, tenantId: string, fence: number, eventsPrunedThrough: number): Promise<void> {
  const statements = [
    d1.prepare(`UPDATE tenant_stats SET events_pruned_through = max(events_pruned_through, ?2) WHERE tenant_id = ?1`).bind(tenantId, eventsPrunedThrough),
    d1.prepare(`UPDATE tenants SET writes_paused_at = NULL WHERE id = ?1 AND writes_paused_at = ?2 AND moved_to IS NULL`).bind(tenantId, fence),
  ];
  const open = await d1.prepare(`SELECT 1 AS open FROM tenants WHERE id = ?1 AND writes_paused_at IS NULL AND moved_to IS NULL AND deleted_at IS NULL`).bind(tenantId).first();
  if (open) return;
  await fencedBatch(d1, tenantId, fence, statements);
}

/**
 * The switch, on the source: its copy becomes the old copy — SCIM requests
 * still routed there get 503 (middleware/live-tenant) and its writes stay
 * paused.
 */
export async function markMovedAway(d1: D1Database, tenantId: string, to: string, now: number): Promise<void> {
  await d1.prepare(`UPDATE tenants SET moved_to = ?2, writes_paused_at = coalesce(writes_paused_at, ?3) WHERE id = ?1`).bind(tenantId, to, now).run();
}

/**
 * A roll-back's first step on the target: the copy stops being this move's
 * (moved_to names the shard the tenant stays on), which fails the fence of
 * any copy batch still in flight. Only this move's copy (its fence) changes.
 */
export async function fenceOffTargetCopy(d1: D1Database, tenantId: string, fence: number, stayingOn: string): Promise<void> {
  await d1.prepare(`UPDATE tenants SET moved_to = ?3 WHERE id = ?1 AND writes_paused_at = ?2 AND moved_to IS NULL`).bind(tenantId, fence, stayingOn).run();
}

/** What the target's copy row was before the move made it: restored by a roll-back. */
export interface PriorCopy {
  /** The target held a copy (an old copy from an earlier move): it is kept, as an old copy. */
  existed: boolean;
  writesPausedAt: number | null;
  movedTo: string | null;
}

/**
 * A roll-back's last step on the target: its counters go and its copy row
 * is put back as it was — removed if the move made it, its copy columns
 * restored if it was there before (an old copy from an earlier move; on the
 * control database, the control row itself). Only this move's row (its
 * fence) changes.
 */
export async function dropTargetCopy(d1: D1Database, tenantId: string, fence: number, prior: PriorCopy | undefined, isControl: boolean): Promise<void> {
  const statements = [d1.prepare(`DELETE FROM tenant_stats WHERE tenant_id = ?1`).bind(tenantId)];
  if (prior && (prior.existed || isControl)) {
    statements.push(
      d1.prepare(`UPDATE tenants SET writes_paused_at = ?3, moved_to = ?4 WHERE id = ?1 AND writes_paused_at = ?2`).bind(tenantId, fence, prior.writesPausedAt, prior.movedTo),
    );
  } else if (!isControl) {
    statements.push(d1.prepare(`DELETE FROM tenants WHERE id = ?1 AND writes_paused_at = ?2`).bind(tenantId, fence));
  }
  await d1.batch(statements);
}

// ---------------------------------------------------------------------------
// Bounded deletes.

/** Tables deleted from a copy in chunks, children before parents (NO ACTION foreign keys, schema.ts). */
export const DELETED_TABLES = ["memberships", "licences", "users", "groups", "request_log"] as const satisfies readonly CopyTable[];
export type DeletedTable = (typeof DELETED_TABLES)[number];

/**
 * Deletes up to `limit` of the tenant's rows of `table` on a shard; answers
 * how many. D1's SQLite has no DELETE … LIMIT, so the chunk is picked by
 * primary key in a subquery (storage/tenants.ts purgeInChunks does the same).
 */
export async function deleteChunk(d1: D1Database, table: DeletedTable, tenantId: string, limit: number): Promise<number> {
  const spec = SPECS[table];
  const key = keyTuple(spec);
  const result = await d1
    .prepare(`DELETE FROM ${spec.name} WHERE tenant_id = ?1 AND ${key} IN (SELECT ${spec.key.join(", ")} FROM ${spec.name} WHERE tenant_id = ?1 LIMIT ?2)`)
    .bind(tenantId, limit)
    .run();
  return result.meta.changes ?? 0;
}

/** Deletes the tenant's counters on a shard (the old copy's clean-up keeps its row and events). */
export async function deleteTenantStats(d1: D1Database, tenantId: string): Promise<void> {
  await d1.prepare(`DELETE FROM tenant_stats WHERE tenant_id = ?1`).bind(tenantId).run();
}

/**
 * A roll-back's delete of the events a move copied to the target: the
 * tenant's events after `afterTenantSeq`, up to `limit` of them, of which
 * those numbered above `seqFloor` (the target's last seq when the move
 * began) are the move's; older ones are the target's own from before (an
 * old copy keeps its events) and stay. The feed's numbering is raised past
 * what is deleted first, in the same batch, so no later event takes a seq a
 * consumer's cursor has passed (storage/tenants.ts does the same on a purge).
 * Answers the last tenant_seq looked at, or undefined when none is left.
 */
export async function deleteCopiedEvents(d1: D1Database, tenantId: string, afterTenantSeq: number, seqFloor: number, limit: number): Promise<number | undefined> {
  const { results } = await d1
    .prepare(`SELECT tenant_seq, seq FROM events WHERE tenant_id = ?1 AND tenant_seq > ?2 ORDER BY tenant_seq LIMIT ?3`)
    .bind(tenantId, afterTenantSeq, limit)
    .all<{ tenant_seq: number; seq: number }>();
  const last = results[results.length - 1];
  if (!last) return undefined;
  const copied = results.filter((r) => r.seq > seqFloor).map((r) => r.seq);
  if (copied.length > 0) {
    await d1.batch([
      d1.prepare(`INSERT INTO event_feed (id, seq_floor) VALUES (1, COALESCE((SELECT max(seq) FROM events), 0))
        ON CONFLICT (id) DO UPDATE SET seq_floor = max(seq_floor, excluded.seq_floor)`),
      d1.prepare(`DELETE FROM events WHERE tenant_id = ?1 AND seq IN (SELECT value FROM json_each(?2))`).bind(tenantId, JSON.stringify(copied)),
    ]);
  }
  return results.length < limit ? undefined : last.tenant_seq;
}
