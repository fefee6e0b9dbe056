// Bytes per user on disk (bench/README.md, "Bytes per user"): users shaped
// like Entra's default attribute mapping, each in 5 groups (one of them
// licensing), provisioned through the SCIM API into an otherwise empty
// shard, so their rows, indexes, licences, change-feed events and
// provisioning-log entries are the ones production writes. The shard's
// SQLite file is read before and after with node:sqlite (dbstat: bytes per
// table and index), with wrangler dev stopped, on a copy.

import { copyFileSync, existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { request } from "./http.mjs";
import { loadRound } from "./load.mjs";
import { ENTERPRISE_URN, GROUP_SCHEMA, GROUP_EXT_URN, LICENCE_ATTR, TenantLayout, USER_EXT_URN, USER_SCHEMA } from "./seed.mjs";
import { PATCH_OP } from "./scenarios.mjs";

/** Groups each user is a member of; the first one carries the licence. */
export const GROUPS_PER_USER = 5;
/** Members per PATCH /Groups (Entra batches member adds). */
export const MEMBERS_PER_PATCH = 100;

/**
 * A user as Entra's default attribute mapping sends it: UPN, mailNickname
 * as externalId, name parts, job title, preferred language, work email,
 * work and mobile phones, work address, employee number and department
 * (no manager: it would make creation order matter).
 * @param {TenantLayout} L
 */
export function entraUserBody(L, i) {
  return {
    schemas: [USER_SCHEMA, ENTERPRISE_URN, USER_EXT_URN],
    externalId: L.externalId(i),
    userName: L.userName(i),
    name: { formatted: `Given${i} Family${i}`, familyName: `Family${i}`, givenName: `Given${i}` },
    displayName: `Given${i} Family${i}`,
    title: "Account Manager",
    preferredLanguage: "en-US",
    active: true,
    emails: [{ primary: true, type: "work", value: L.workEmail(i) }],
    phoneNumbers: [
      { type: "work", value: "+33 1 23 45 67 89" },
      { type: "mobile", value: `+33 6 12 ${String(i % 100).padStart(2, "0")} 56 78` },
    ],
    addresses: [{ type: "work", primary: true, formatted: "1 Rue de Rivoli\n75001 Paris\nFR", streetAddress: "1 Rue de Rivoli", locality: "Paris", postalCode: "75001", country: "FR" }],
    [ENTERPRISE_URN]: { employeeNumber: String(100000 + i), department: `Dept ${i % 20}` },
    [USER_EXT_URN]: { location: "Paris" },
  };
}

/** node:sqlite, without its one-time "experimental" warning on stderr. */
async function sqlite() {
  const emit = process.emitWarning;
  process.emitWarning = (w, ...rest) => (String(w).includes("SQLite") ? undefined : emit.call(process, w, ...rest));
  try {
    return await import("node:sqlite");
  } finally {
    process.emitWarning = emit;
  }
}

/**
 * What one local D1 database holds on disk: pages, free pages, bytes per
 * table (its indexes included), rows per table, and the size after VACUUM.
 * Reads a copy (with its WAL), so the original is never touched.
 * @param {string} file the binding's .sqlite file under the persist dir
 */
export async function footprint(file) {
  const { DatabaseSync } = await sqlite();
  const dir = mkdtempSync(path.join(os.tmpdir(), "scim-edge-bytes-"));
  try {
    const copy = path.join(dir, "shard.sqlite");
    copyFileSync(file, copy);
    if (existsSync(`${file}-wal`)) copyFileSync(`${file}-wal`, `${copy}-wal`);
    const db = new DatabaseSync(copy);
    // Fold the WAL into the copy: its pages count as the database's.
    db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    const measured = measure(db);
    const compactPath = path.join(dir, "compact.sqlite");
    db.exec(`VACUUM INTO '${compactPath.replace(/'/g, "''")}'`);
    db.close();
    const compactDb = new DatabaseSync(compactPath, { readOnly: true });
    const compact = measure(compactDb);
    compactDb.close();
    return { ...measured, fileBytes: statSync(copy).size, compact: { bytes: compact.bytes, byTable: compact.byTable } };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** @param {import("node:sqlite").DatabaseSync} db */
function measure(db) {
  const one = (sql) => Object.values(db.prepare(sql).get())[0];
  const pageSize = Number(one("PRAGMA page_size"));
  const pages = Number(one("PRAGMA page_count"));
  const freePages = Number(one("PRAGMA freelist_count"));
  const tableOf = new Map(db.prepare("SELECT name, tbl_name FROM sqlite_schema WHERE type IN ('table', 'index')").all().map((r) => [r.name, r.tbl_name]));
  const byTable = {};
  for (const r of db.prepare("SELECT name, sum(pgsize) AS bytes FROM dbstat GROUP BY name").all()) {
    const table = tableOf.get(r.name) ?? r.name;
    byTable[table] = (byTable[table] ?? 0) + Number(r.bytes);
  }
  const rows = {};
  for (const table of ["users", "groups", "memberships", "licences", "events", "request_log", "tenants", "tenant_stats"]) {
    if (tableOf.has(table)) rows[table] = Number(one(`SELECT count(*) FROM "${table}"`));
  }
  return { pageSize, pages, freePages, bytes: pages * pageSize, byTable, rows };
}

/** Provisioning log lines the worker prints once each entry is written (or failed). */
export function countLogWrites(dev) {
  const counter = { n: 0 };
  const off = dev.onLine((line) => {
    if (line.includes("provisioning-log-write") || line.includes("provisioning-log-failed")) counter.n += 1;
  });
  return { counter, off };
}

/**
 * Provisions `users` Entra users into the tenant through the SCIM API,
 * then adds each to GROUPS_PER_USER groups (the first licensing), in
 * PATCHes of MEMBERS_PER_PATCH members. Returns the SCIM requests sent and
 * any that failed.
 * @param {{ baseUrl: string, scimPath: string, token: string, tenantId: string, users: number, connections: number }} o
 */
export async function provisionEntraUsers({ baseUrl, scimPath, token, tenantId, users, connections }) {
  const L = new TenantLayout({ tenantId, users, groupMembers: 0, teams: 0 });
  const failures = [];
  let sent = 0;
  const groups = [];
  for (let g = 0; g < GROUPS_PER_USER; g++) {
    const body = { schemas: [GROUP_SCHEMA, GROUP_EXT_URN], displayName: g === 0 ? "Licensed" : `Team ${g}`, [GROUP_EXT_URN]: { [LICENCE_ATTR]: g === 0 ? "True" : "False" } };
    const r = await request(`${baseUrl}${scimPath}/Groups`, { method: "POST", token, body });
    sent += 1;
    if (r.status !== 201) throw new Error(`POST /Groups → ${r.status} ${r.text.slice(0, 200)}`);
    groups.push(r.json.id);
  }
  const ids = [];
  const pool = (targets) => {
    let k = 0;
    return { next: () => (k < targets.length ? targets[k++] : undefined), remaining: () => targets.length - k };
  };
  const run = async (targets, onResponse) => {
    const p = pool(targets);
    while (p.remaining() > 0) {
      const round = await loadRound({ baseUrl, token, connections, durationS: 600, next: p.next, remaining: p.remaining, onResponse });
      if (!round) break;
      sent += round.total;
      if (round.non2xx || round.errors) failures.push(`${round.non2xx} non-2xx, ${round.errors} errors: ${JSON.stringify(round.statusCodes)}`);
    }
  };
  const creates = Array.from({ length: users }, (_, i) => ({ method: "POST", path: `${scimPath}/Users`, body: JSON.stringify(entraUserBody(L, i)) }));
  await run(creates, (status, body) => {
    if (status !== 201) return;
    try {
      ids.push(JSON.parse(body).id);
    } catch {
      // counted by status
    }
  });
  const patches = [];
  for (const g of groups) {
    for (let k = 0; k < ids.length; k += MEMBERS_PER_PATCH) {
      const value = ids.slice(k, k + MEMBERS_PER_PATCH).map((id) => ({ value: id }));
      patches.push({ method: "PATCH", path: `${scimPath}/Groups/${g}`, body: JSON.stringify({ schemas: [PATCH_OP], Operations: [{ op: "Add", path: "members", value }] }) });
    }
  }
  await run(patches);
  return { sent, created: ids.length, groups: groups.length, failures, bodyBytes: Buffer.byteLength(JSON.stringify(entraUserBody(L, users - 1))) };
}

/**
 * Bytes per user from the footprints before and after: the whole file's
 * growth, and each table's (its indexes included), per user; events and
 * provisioning-log entries also per row.
 */
export function bytesPerUser(before, after, users) {
  const tables = [...new Set([...Object.keys(before.byTable), ...Object.keys(after.byTable)])];
  const grew = (b, a) => Object.fromEntries(tables.map((t) => [t, (a[t] ?? 0) - (b[t] ?? 0)]).filter(([, d]) => d !== 0));
  const byTable = grew(before.byTable, after.byTable);
  const compactByTable = grew(before.compact.byTable, after.compact.byTable);
  const rows = Object.fromEntries(Object.keys(after.rows).map((t) => [t, after.rows[t] - (before.rows[t] ?? 0)]));
  return {
    users,
    total: (after.bytes - before.bytes) / users,
    compact: (after.compact.bytes - before.compact.bytes) / users,
    freePages: after.freePages,
    byTable: Object.fromEntries(Object.entries(byTable).map(([t, b]) => [t, b / users])),
    compactByTable: Object.fromEntries(Object.entries(compactByTable).map(([t, b]) => [t, b / users])),
    rows,
    perEvent: rows.events ? (byTable.events ?? 0) / rows.events : undefined,
    perLogEntry: rows.request_log ? (byTable.request_log ?? 0) / rows.request_log : undefined,
    before: { bytes: before.bytes, pages: before.pages },
    after: { bytes: after.bytes, pages: after.pages, fileBytes: after.fileBytes },
  };
}
