// Bulk seeding: one generated SQL file per tenant, applied with
// `wrangler d1 execute DB --local --persist-to <dir> --file <sql>` while the
// dev server runs (local D1 is one SQLite file; the worker sees the rows at
// once — run.mjs checks it through the admin stats and a GET by id).
//
// The rows are those the SCIM API stores for the same requests (bench/README.md,
// "Seeding"): a user is what `POST /Users` with `userBody(i)` stores, the
// licensing group what `POST /Groups` with `groupBody(...)` and its members
// stores, licences and tenant_stats what those batches leave behind.
// run.mjs compares one API-made user/group with one SQL-made pair
// (`compareShapes`) before trusting the generator.
//
// Every value is a function of (tenant layout, index), so the benchmark can
// name any seeded user (id, userName, externalId, work email) without
// reading 100,000 rows back.

import { randomBytes, randomUUID } from "node:crypto";

export const USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User";
export const GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group";
export const ENTERPRISE_URN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
export const USER_EXT_URN = "urn:ietf:params:scim:schemas:extension:klaxon:2.0:User";
export const GROUP_EXT_URN = "urn:ietf:params:scim:schemas:extension:klaxoon:2.0:Group";
export const LICENCE_ATTR = "license";

const HOUR = 3_600_000;

/** Lower-case hex of `n` (a non-negative safe integer), left-padded to `width`. */
function hex(n, width) {
  return n.toString(16).padStart(width, "0");
}

/** SQL string literal. */
export function q(s) {
  return `'${String(s).replace(/'/g, "''")}'`;
}

/**
 * The users and groups of one seeded tenant. Ids are UUIDv7 like
 * src/storage/ids.ts makes them — 48-bit ms timestamp, version 7, variant
 * 10 — with the "random" bits fixed per tenant (salt) plus the index, so
 * they can be recomputed here: user i was created at `base + i` ms.
 */
export class TenantLayout {
  /**
   * @param {{ tenantId: string, users: number, groupMembers: number, teams?: number, base?: number, salt?: string }} o
   */
  constructor({ tenantId, users, groupMembers, teams = 10, base, salt }) {
    this.tenantId = tenantId;
    this.users = users;
    this.groupMembers = Math.min(groupMembers, users);
    this.teams = teams;
    // Created "yesterday", one user per ms, all before the benchmark starts.
    this.base = base ?? Date.now() - 48 * HOUR - users - 1000;
    this.salt = salt ?? randomBytes(8).toString("hex"); // 16 hex
    this.groupBase = this.base + users + 10;
  }

  /** UUIDv7-like id for creation time `ts` and sequence `n` in a namespace (0 users, 1 groups). */
  uuid(ts, ns, n) {
    const t = hex(ts, 12);
    return `${t.slice(0, 8)}-${t.slice(8, 12)}-7${this.salt.slice(0, 3)}-${(8 + ns).toString(16)}${this.salt.slice(3, 6)}-${hex(n, 12)}`;
  }

  userId(i) {
    return this.uuid(this.base + i, 0, i);
  }
  userName(i) {
    return `Bench.User${i}@Example.com`;
  }
  externalId(i) {
    return `${hex(i, 8)}-${this.salt.slice(6, 10)}-4${this.salt.slice(10, 13)}-8000-${hex(i * 7919, 12)}`;
  }
  workEmail(i) {
    return `bench.user${i}@example.com`;
  }
  /** The big licensing group: members are users 0 .. groupMembers-1. */
  groupId() {
    return this.uuid(this.groupBase, 1, 0);
  }
  groupName() {
    return "Bench Licensed";
  }
  teamId(k) {
    return this.uuid(this.groupBase + 1 + k, 1, 1 + k);
  }
  teamName(k) {
    return `Bench Team ${k}`;
  }
  /** Every group id with its displayName (big group first). */
  allGroups() {
    const out = [{ id: this.groupId(), name: this.groupName() }];
    for (let k = 0; k < this.teams; k++) out.push({ id: this.teamId(k), name: this.teamName(k) });
    return out;
  }
}

/**
 * The POST /Users body Entra sends for user i (attribute order = the order
 * the server's canonical doc uses: externalId, core attributes in schema
 * order, then extensions; sub-attributes in the order sent).
 * @param {TenantLayout} L
 */
/**
 * A user the load creates (POST /Users): the layout's user shape with a
 * fresh userName, externalId and work email, `<prefix>.New-<runTag>-<n>`, so
 * no two runs or requests collide.
 */
export function newUserBody(L, prefix, runTag, n) {
  const body = userBody(L, 0);
  body.userName = `${prefix}.New-${runTag}-${n}@Example.com`;
  body.externalId = randomUUID();
  body.emails = [{ primary: true, type: "work", value: `${prefix.toLowerCase()}.new-${runTag}-${n}@example.com` }];
  body.displayName = `New ${n}`;
  body.name = { givenName: "New", familyName: `User${n}` };
  return body;
}

export function userBody(L, i) {
  return {
    schemas: [USER_SCHEMA, ENTERPRISE_URN, USER_EXT_URN],
    externalId: L.externalId(i),
    userName: L.userName(i),
    name: { givenName: `Given${i}`, familyName: `Family${i}` },
    displayName: `Given${i} Family${i}`,
    active: true,
    emails: [{ primary: true, type: "work", value: L.workEmail(i) }],
    [ENTERPRISE_URN]: { department: `Dept ${i % 20}` },
    [USER_EXT_URN]: { location: "Paris" },
  };
}

/** The doc column for userBody(i): the body without `schemas`. */
export function userDoc(L, i) {
  const { schemas: _s, ...doc } = userBody(L, i);
  return doc;
}

/** POST /Groups body of the licensing group (members listed separately when posting). */
export function groupBody(name, licence) {
  const body = { schemas: [GROUP_SCHEMA, GROUP_EXT_URN], displayName: name };
  if (licence !== undefined) body[GROUP_EXT_URN] = { [LICENCE_ATTR]: licence };
  return body;
}

/** SQL expression building userDoc(i) from the integer column `i` (json_object keeps key order). */
function userDocSql(L) {
  const un = `'Bench.User' || i || '@Example.com'`;
  return `json_object(
      'externalId', ${externalIdSql(L)},
      'userName', ${un},
      'name', json_object('givenName', 'Given' || i, 'familyName', 'Family' || i),
      'displayName', 'Given' || i || ' Family' || i,
      'active', json('true'),
      'emails', json_array(json_object('primary', json('true'), 'type', 'work', 'value', 'bench.user' || i || '@example.com')),
      ${q(ENTERPRISE_URN)}, json_object('department', 'Dept ' || (i % 20)),
      ${q(USER_EXT_URN)}, json_object('location', 'Paris'))`;
}

function externalIdSql(L) {
  return `printf('%08x-%s-4%s-8000-%012x', i, ${q(L.salt.slice(6, 10))}, ${q(L.salt.slice(10, 13))}, i * 7919)`;
}

/** SQL for the UUIDv7-like id of TenantLayout.uuid(tsExpr, ns, nExpr). */
function uuidSql(L, tsExpr, ns, nExpr) {
  const t = `printf('%012x', ${tsExpr})`;
  return `substr(${t}, 1, 8) || '-' || substr(${t}, 9, 4) || '-7${L.salt.slice(0, 3)}-${(8 + ns).toString(16)}${L.salt.slice(3, 6)}-' || printf('%012x', ${nExpr})`;
}

/**
 * Users 0 … N-1 of the layout, active, as `POST /Users` with userBody(i)
 * stores them: one INSERT … SELECT over a recursive CTE.
 * @param {TenantLayout} L
 */
function usersSeedSql(L) {
  return `INSERT INTO users (tenant_id, id, user_name, user_name_key, external_id, work_email_key, display_name, active, doc, created_at, last_modified, etag)
WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i < ${L.users - 1})
SELECT ${q(L.tenantId)}, ${uuidSql(L, `${L.base} + i`, 0, "i")},
  'Bench.User' || i || '@Example.com', 'bench.user' || i || '@example.com',
  ${externalIdSql(L)}, 'bench.user' || i || '@example.com',
  'Given' || i || ' Family' || i, 1, ${userDocSql(L)},
  ${L.base} + i, ${L.base} + i, lower(hex(randomblob(8)))
FROM seq;`;
}

/**
 * The SQL that seeds one tenant (already created through the admin API,
 * so its tenants and tenant_stats rows exist): N users, the licensing
 * group with its members and their active licences, `teams` empty
 * groups, and the counters. All set-based: the file stays a few KB at
 * any size.
 * @param {TenantLayout} L
 */
export function tenantSeedSql(L) {
  const T = q(L.tenantId);
  const N = L.users;
  const G = L.groupMembers;
  const lines = [];
  lines.push(`-- bench seed: tenant ${L.tenantId}, ${N} users, group of ${G} members`);
  lines.push(usersSeedSql(L));
  // Groups: the licensing group ("True", as Entra's Switch() sends it) and empty teams without the extension.
  const groupEtag = randomBytes(8).toString("hex");
  // The licence step's nonce is a per-request UUID (src/licence/transitions.ts).
  const nonce = randomUUID();
  const bigDoc = JSON.stringify({ displayName: L.groupName(), [GROUP_EXT_URN]: { [LICENCE_ATTR]: "True" } });
  lines.push(`INSERT INTO groups (tenant_id, id, display_name, display_name_key, external_id, licensing, doc, member_delta, created_at, last_modified, etag)
VALUES (${T}, ${q(L.groupId())}, ${q(L.groupName())}, ${q(L.groupName().toLowerCase())}, NULL, 1, ${q(bigDoc)}, ${G}, ${L.groupBase}, ${L.groupBase}, ${q(groupEtag)});`);
  for (let k = 0; k < L.teams; k++) {
    const doc = JSON.stringify({ displayName: L.teamName(k) });
    const ts = L.groupBase + 1 + k;
    lines.push(`INSERT INTO groups (tenant_id, id, display_name, display_name_key, external_id, licensing, doc, member_delta, created_at, last_modified, etag)
VALUES (${T}, ${q(L.teamId(k))}, ${q(L.teamName(k))}, ${q(L.teamName(k).toLowerCase())}, NULL, 1, ${q(doc)}, 0, ${ts}, ${ts}, lower(hex(randomblob(8))));`);
  }
  if (G > 0) {
    lines.push(`INSERT INTO memberships (tenant_id, group_id, user_id)
SELECT tenant_id, ${q(L.groupId())}, id FROM users WHERE tenant_id = ${T} AND created_at < ${L.base + G};`);
    // Granted by the group's creation batch: since = its time, transition = "<request nonce>.<statement mark>:granted".
    lines.push(`INSERT INTO licences (tenant_id, user_id, status, since, downgraded_at, expires_at, transition)
SELECT tenant_id, user_id, 'active', ${L.groupBase}, NULL, NULL, ${q(`${nonce}.${randomBytes(4).toString("hex")}:granted`)}
FROM memberships WHERE tenant_id = ${T} AND group_id = ${q(L.groupId())};`);
  }
  lines.push(`UPDATE tenant_stats SET users = users + ${N}, active_users = active_users + ${N}, groups = groups + ${1 + L.teams},
  memberships = memberships + ${G}, pro_licenses = pro_licenses + ${G} WHERE tenant_id = ${T};`);
  return lines.join("\n") + "\n";
}

/**
 * Sweep fixture for one tenant: `count` active users, no memberships, each
 * with a licence downgraded 25 h ago that expired `expiredAgoMs` ago (what
 * removing them from a licensing group under proGraceHours 23 leaves), and
 * the matching counters (downgraded_licenses; pro_licenses unchanged).
 * @param {TenantLayout} L
 */
export function sweepSeedSql(L, { now = Date.now(), graceHours = 23 } = {}) {
  const T = q(L.tenantId);
  const N = L.users;
  const downgradedAt = now - (graceHours + 2) * HOUR;
  const expiresAt = downgradedAt + graceHours * HOUR;
  const nonce = randomUUID();
  const lines = [];
  lines.push(`-- bench sweep seed: tenant ${L.tenantId}, ${N} expired licences`);
  lines.push(usersSeedSql(L));
  lines.push(`INSERT INTO licences (tenant_id, user_id, status, since, downgraded_at, expires_at, transition)
SELECT tenant_id, id, 'downgraded', ${L.base - HOUR}, ${downgradedAt}, ${expiresAt}, ${q(`${nonce}.${randomBytes(4).toString("hex")}:downgraded`)}
FROM users WHERE tenant_id = ${T};`);
  lines.push(`UPDATE tenant_stats SET users = users + ${N}, active_users = active_users + ${N}, downgraded_licenses = downgraded_licenses + ${N}
WHERE tenant_id = ${T};`);
  return lines.join("\n") + "\n";
}

/**
 * Compares the rows the API stored with the rows the generator stored for
 * the same bodies (two tenants, same index). Returns a list of differences
 * (empty = same shape). Values that are random or time-dependent by nature
 * (ids, etags, timestamps, nonces) are compared by form, not value.
 * @param {Record<string, any[]>} api rows by table
 * @param {Record<string, any[]>} sql rows by table
 */
export function compareShapes(api, sql) {
  const diffs = [];
  const uuidv7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
  const etag = /^[0-9a-f]{16}$/;
  const byForm = {
    id: (v) => uuidv7.test(String(v)),
    group_id: (v) => uuidv7.test(String(v)),
    user_id: (v) => uuidv7.test(String(v)),
    etag: (v) => etag.test(String(v)),
    created_at: (v) => Number.isSafeInteger(v),
    last_modified: (v) => Number.isSafeInteger(v),
    since: (v) => Number.isSafeInteger(v),
    downgraded_at: (v) => v === null || Number.isSafeInteger(v),
    expires_at: (v) => v === null || Number.isSafeInteger(v),
    // "<request nonce>.<statement mark>:<transition>" (src/licence/transitions.ts).
    transition: (v) => v === null || /^([0-9a-f]{16}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(\.[0-9a-f]{8})?:(granted|revived|downgraded)$/.test(String(v)),
    tenant_id: () => true,
  };
  for (const table of Object.keys(api)) {
    const a = api[table] ?? [];
    const s = sql[table] ?? [];
    if (a.length !== s.length) {
      diffs.push(`${table}: ${a.length} row(s) via API, ${s.length} via SQL`);
      continue;
    }
    a.forEach((rowA, r) => {
      const rowS = s[r];
      const cols = new Set([...Object.keys(rowA), ...Object.keys(rowS)]);
      for (const c of cols) {
        const va = rowA[c];
        const vs = rowS[c];
        const form = byForm[c];
        if (form) {
          if (!form(va) || !form(vs)) diffs.push(`${table}.${c}: API ${JSON.stringify(va)} vs SQL ${JSON.stringify(vs)} (form)`);
          if (c === "transition" && String(va).split(":")[1] !== String(vs).split(":")[1]) {
            diffs.push(`${table}.${c}: API ${va} vs SQL ${vs}`);
          }
          continue;
        }
        if (JSON.stringify(va) !== JSON.stringify(vs)) diffs.push(`${table}.${c}: API ${JSON.stringify(va)} vs SQL ${JSON.stringify(vs)}`);
      }
    });
  }
  return diffs;
}
