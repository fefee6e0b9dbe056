// The operations Entra ID and Okta send, one scenario each. A scenario makes
// targets: `next()` returns the next request (a fresh user, group or name
// each time, so no answer comes from a warm cache alone); finite pools
// (DELETE, member changes) also say how many targets are left.

import { randomUUID } from "node:crypto";
import { GROUP_EXT_URN, LICENCE_ATTR, USER_EXT_URN, USER_SCHEMA, newUserBody } from "./seed.mjs";

export const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/**
 * Entra's PATCH of a user after a change in the directory: Replace of the
 * family name, work email and display name (and the location, when asked),
 * the `v`-th version of user `u`, so every request changes something.
 */
export function entraUserPatch(u, v, { location = false } = {}) {
  return {
    schemas: [PATCH_OP],
    Operations: [
      { op: "Replace", path: "name.familyName", value: `Family${u}-r${v}` },
      { op: "Replace", path: 'emails[type eq "work"].value', value: `bench.user${u}.r${v}@example.com` },
      { op: "Replace", path: "displayName", value: `Given${u} Family${u}-r${v}` },
      ...(location ? [{ op: "Replace", path: `${USER_EXT_URN}:location`, value: v % 2 ? "Lyon" : "Paris" }] : []),
    ],
  };
}

/** Row budgets (bench/README.md, "Budgets"). `flat`: the same figure at every size. */
export const BUDGETS = {
  // ≤ 3 rows for the lookup itself, measured on the same request with
  // `excludedAttributes=groups`. The seeded users are members of the big
  // group, and the default `groups` attribute costs 3 more rows for one group
  // (membership index entry + end of range + the group row): the full figure
  // must be at most lookup + 3, and both the same at every size.
  point: { maxLookupRead: 3, groupsRead: 3, flat: true, text: "lookup ≤ 3 read (+ 3 for the user's one group), same at every size" },
  // A member change with its licence transition (≤ 10 / 5) and their change-feed events (3 rows written each).
  member: { maxRead: 40, maxWritten: 11, text: "≤ 40 read, ≤ 11 written (with events)" },
  excluded: { maxRead: 3, text: "≤ 3 read" },
};

/** Concurrent writers of one resource in a burst: 20. */
export const BURST_WRITERS = 20;
/** Distinct single-valued string attributes, one per concurrent writer of a user. */
export const BURST_USER_PATHS = [
  "displayName", "nickName", "title", "userType", "preferredLanguage", "locale", "timezone", "name.givenName", "name.familyName",
  "name.middleName", "name.honorificPrefix", "name.honorificSuffix", "name.formatted",
  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter",
  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:organization",
  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:division",
  "urn:ietf:params:scim:schemas:extension:klaxon:2.0:User:notificationPhoneNumber",
  "externalId",
];

/** The same request without the `groups` attribute: what the lookup itself reads. */
export function lookupOnly(target) {
  return { ...target, path: `${target.path}${target.path.includes("?") ? "&" : "?"}excludedAttributes=groups` };
}

/** Fisher–Yates permutation of 0..n-1. */
export function permutation(n) {
  const a = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

/** Endless walk over a list (a random order of all users: each is visited once before any repeats). */
function cycle(list) {
  let k = 0;
  return () => list[k++ % list.length];
}

/** A finite pool: next() until empty. */
function pool(list) {
  let k = 0;
  return { next: () => (k < list.length ? list[k++] : undefined), remaining: () => list.length - k };
}

const ok = (...codes) => (s) => codes.includes(s);

/**
 * Per-size state shared by scenarios: seeded layout, the tenant's path, the
 * ids POST created (DELETE's targets), the members removed (re-added by the
 * member add).
 * @param {import("./seed.mjs").TenantLayout} L
 */
export function sizeContext(L, scimPath, token, runTag) {
  return {
    L,
    scimPath,
    token,
    runTag,
    readOrder: permutation(L.users),
    writeOrder: permutation(L.users),
    /** @type {string[]} */
    created: [],
    /** @type {string[]} */
    removedMembers: [],
    /** Users PATCHed to active "False": the member scenarios leave them out, so their rows are an active member's at every size. */
    deactivated: new Set(),
    postCounter: 0,
  };
}

const enc = encodeURIComponent;
const filterPath = (base, resource, filter, extra = "") => `${base}/${resource}?filter=${enc(filter)}${extra}`;

/**
 * @typedef {{ key: string, label: string, budget?: keyof typeof BUDGETS, ok: (status: number) => boolean,
 *   make: (ctx: ReturnType<typeof sizeContext>) => { next: () => import("./load.mjs").Target | undefined, remaining?: () => number, onResponse?: (status: number, body: string) => void } | { skip: string } }} Scenario
 */

/**
 * A point read of one seeded user per request, walking a random order of
 * all users so that no answer comes from a warm cache alone.
 * @param {string} key @param {string} label
 * @param {(c: ReturnType<typeof sizeContext>, n: number) => string} pathOf
 * @returns {Scenario}
 */
function pointRead(key, label, pathOf) {
  return {
    key,
    label,
    budget: "point",
    ok: ok(200),
    make: (c) => {
      const i = cycle(c.readOrder);
      return { next: () => ({ method: "GET", path: pathOf(c, i()) }) };
    },
  };
}

/** @type {Scenario[]} */
export const SCENARIOS = [
  {
    key: "probe",
    label: 'Test Connection probe: GET /Users?filter=userName eq "<random>"',
    budget: "point",
    ok: ok(200),
    make: (c) => ({ next: () => ({ method: "GET", path: filterPath(c.scimPath, "Users", `userName eq "${randomUUID()}"`) }) }),
  },
  pointRead("get-user", "GET /Users/{id}", (c, n) => `${c.scimPath}/Users/${c.L.userId(n)}`),
  // Entra sends the UPN as it is in the directory; the case differs from what we stored half the time.
  pointRead("filter-username", "GET /Users?filter=userName eq", (c, n) =>
    filterPath(c.scimPath, "Users", `userName eq "${n % 2 ? c.L.userName(n).toLowerCase() : c.L.userName(n)}"`),
  ),
  pointRead("filter-externalid", "GET /Users?filter=externalId eq", (c, n) => filterPath(c.scimPath, "Users", `externalId eq "${c.L.externalId(n)}"`)),
  pointRead("filter-email", 'GET /Users?filter=emails[type eq "work"].value eq', (c, n) =>
    filterPath(c.scimPath, "Users", `emails[type eq "work"].value eq "${c.L.workEmail(n)}"`),
  ),
  pointRead("filter-id", "GET /Users?filter=id eq", (c, n) => filterPath(c.scimPath, "Users", `id eq "${c.L.userId(n)}"`)),
  {
    key: "group-excluded",
    label: "GET /Groups/{id}?excludedAttributes=members",
    budget: "excluded",
    ok: ok(200),
    make: (c) => {
      const groups = c.L.allGroups();
      let k = 0;
      // Every other request is the big group: the one whose member list must not be read.
      return {
        next: () => {
          const g = k++ % 2 === 0 ? groups[0] : groups[1 + Math.floor(Math.random() * (groups.length - 1))] ?? groups[0];
          return { method: "GET", path: `${c.scimPath}/Groups/${g.id}?excludedAttributes=members` };
        },
      };
    },
  },
  {
    key: "group-filter-name",
    label: "GET /Groups?filter=displayName eq (&excludedAttributes=members)",
    ok: ok(200),
    make: (c) => {
      const groups = c.L.allGroups();
      let k = 0;
      return {
        next: () => {
          const g = groups[k++ % groups.length];
          return { method: "GET", path: filterPath(c.scimPath, "Groups", `displayName eq "${g.name}"`, "&excludedAttributes=members") };
        },
      };
    },
  },
  {
    key: "post-user",
    label: "POST /Users (Entra body)",
    ok: ok(201),
    make: (c) => ({
      next: () => {
        const body = newUserBody(c.L, "Bench", c.runTag, c.postCounter++);
        return { method: "POST", path: `${c.scimPath}/Users`, body: JSON.stringify(body) };
      },
      onResponse: (status, body) => {
        if (status !== 201) return;
        try {
          const id = JSON.parse(body).id;
          if (typeof id === "string") c.created.push(id);
        } catch {
          // not JSON: counted by status only
        }
      },
    }),
  },
  {
    key: "patch-replace",
    label: "PATCH /Users/{id} Replace name, work email, displayName, location (Entra)",
    ok: ok(200, 204),
    make: (c) => {
      const i = cycle(c.writeOrder);
      let n = 0;
      return {
        next: () => {
          const u = i();
          const v = n++;
          const body = entraUserPatch(u, v, { location: true });
          return { method: "PATCH", path: `${c.scimPath}/Users/${c.L.userId(u)}`, body: JSON.stringify(body) };
        },
      };
    },
  },
  {
    key: "patch-active-false",
    label: 'PATCH /Users/{id} Replace active "False" (Entra)',
    ok: ok(200, 204),
    make: (c) => {
      // Each user once, from the far half of the write order: PUT (below)
      // walks the near half, so it always re-sends an active user, as Okta does.
      const p = pool(c.writeOrder.slice(Math.ceil(c.L.users / 2)).reverse());
      const body = JSON.stringify({ schemas: [PATCH_OP], Operations: [{ op: "Replace", path: "active", value: "False" }] });
      return {
        next: () => {
          const u = p.next();
          if (u === undefined) return undefined;
          c.deactivated.add(u);
          return { method: "PATCH", path: `${c.scimPath}/Users/${c.L.userId(u)}`, body };
        },
        remaining: p.remaining,
      };
    },
  },
  {
    key: "put-user",
    label: "PUT /Users/{id} full object (Okta)",
    ok: ok(200),
    make: (c) => {
      const i = cycle(c.writeOrder.slice(0, Math.ceil(c.L.users / 2)));
      return {
        next: () => {
          const u = i();
          const L = c.L;
          const body = {
            schemas: [USER_SCHEMA],
            id: L.userId(u),
            userName: L.userName(u),
            name: { givenName: `Given${u}`, familyName: `Family${u}` },
            emails: [{ primary: true, value: L.workEmail(u), type: "work" }],
            displayName: `Given${u} Family${u}`,
            locale: "en-US",
            externalId: L.externalId(u),
            groups: [],
            password: "Okta-Sends-A-Random-One-1!",
            active: true,
          };
          return { method: "PUT", path: `${c.scimPath}/Users/${L.userId(u)}`, body: JSON.stringify(body) };
        },
      };
    },
  },
  {
    key: "delete-user",
    label: "DELETE /Users/{id} (users made by the POST scenario)",
    ok: ok(204),
    make: (c) => {
      if (c.created.length === 0) return { skip: "no users were created by POST /Users" };
      const p = pool([...c.created]);
      return { next: () => { const id = p.next(); return id && { method: "DELETE", path: `${c.scimPath}/Users/${id}` }; }, remaining: p.remaining };
    },
  },
  {
    key: "member-remove",
    label: 'PATCH /Groups/{big} Remove members value [{"value":id}] (Entra)',
    budget: "member",
    ok: ok(200, 204),
    make: (c) => {
      const G = c.L.groupMembers;
      if (G === 0) return { skip: "the group has no members" };
      // Active members in random order; each removed once.
      const p = pool(permutation(G).filter((u) => !c.deactivated.has(u)));
      return {
        next: () => {
          const u = p.next();
          if (u === undefined) return undefined;
          const id = c.L.userId(u);
          c.removedMembers.push(id);
          const body = { schemas: [PATCH_OP], Operations: [{ op: "Remove", path: "members", value: [{ value: id }] }] };
          return { method: "PATCH", path: `${c.scimPath}/Groups/${c.L.groupId()}`, body: JSON.stringify(body) };
        },
        remaining: p.remaining,
      };
    },
  },
  {
    key: "member-add",
    label: 'PATCH /Groups/{big} Add members value [{"value":id}]',
    budget: "member",
    ok: ok(200, 204),
    make: (c) => {
      // Re-add what the remove scenario took out, then users never in the group.
      const ids = [...c.removedMembers];
      for (let u = c.L.groupMembers; u < c.L.users; u++) if (!c.deactivated.has(u)) ids.push(c.L.userId(u));
      if (ids.length === 0) return { skip: "no user outside the group" };
      const p = pool(ids);
      return {
        next: () => {
          const id = p.next();
          if (id === undefined) return undefined;
          const body = { schemas: [PATCH_OP], Operations: [{ op: "Add", path: "members", value: [{ value: id }] }] };
          return { method: "PATCH", path: `${c.scimPath}/Groups/${c.L.groupId()}`, body: JSON.stringify(body) };
        },
        remaining: p.remaining,
      };
    },
  },
];

/** The licence flip body (Entra's Replace of the group extension attribute). */
export function licenceFlipBody(value) {
  return { schemas: [PATCH_OP], Operations: [{ op: "Replace", path: `${GROUP_EXT_URN}:${LICENCE_ATTR}`, value }] };
}

/**
 * The "worst request" mix (bench/README.md, "Worst request"): requests a careless or hostile client
 * may send — filters and sorts no index answers, co/sw/or filters, offsets
 * at and past the limit, membership filters with other conditions, group
 * lists that expand members. Each is sent once per size; the most rows any
 * one of them read is the size's "worst request", which must stay under a
 * fixed bound and not grow from 10,000 to 100,000 users (docs/storage.md,
 * "Bounded work per request"). Expected answers: 200, or 400 tooMany.
 * @param {ReturnType<typeof sizeContext>} c
 * @returns {Array<{ key: string, label: string, method: string, path: string, body?: string }>}
 */
export function hostileRequests(c) {
  const u = `${c.scimPath}/Users`;
  const g = `${c.scimPath}/Groups`;
  const big = c.L.groupId();
  const search = (body) => JSON.stringify({ schemas: ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], ...body });
  return [
    { key: "co", label: 'Users filter displayName co "Given1"', method: "GET", path: filterPath(c.scimPath, "Users", 'displayName co "Given1"', "&count=200") },
    { key: "sw", label: 'Users filter userName sw "Bench.User1"', method: "GET", path: filterPath(c.scimPath, "Users", 'userName sw "Bench.User1"', "&count=200") },
    { key: "unindexed-eq", label: 'Users filter name.familyName eq "Family5"', method: "GET", path: filterPath(c.scimPath, "Users", 'name.familyName eq "Family5"') },
    { key: "or", label: 'Users filter userName eq … or displayName co "Family"', method: "GET", path: filterPath(c.scimPath, "Users", `userName eq "${c.L.userName(1)}" or displayName co "Family"`) },
    { key: "valuepath-co", label: 'Users filter emails[type eq "work"].value co "bench"', method: "GET", path: filterPath(c.scimPath, "Users", 'emails[type eq "work"].value co "bench"') },
    { key: "sort-unindexed", label: "Users sortBy=name.familyName, count=200", method: "GET", path: `${u}?sortBy=name.familyName&count=200` },
    { key: "sort-externalid", label: "Users sortBy=externalId descending, count=200", method: "GET", path: `${u}?sortBy=externalId&sortOrder=descending&count=200` },
    // 9,801: the last page of a 10,000-user tenant, so the smallest size the worst-request row compares reads
    // the same offset as the largest (an offset of 9,800; LIST_LIMITS.offset is 10,000).
    { key: "offset-limit", label: "Users startIndex=9801, count=200 (an offset near the limit, no page anchor)", method: "GET", path: `${u}?startIndex=9801&count=200` },
    { key: "offset-sorted", label: "Users sortBy=userName, startIndex=9801, count=200", method: "GET", path: `${u}?sortBy=userName&startIndex=9801&count=200` },
    { key: "offset-past", label: "Users startIndex=50001, count=200", method: "GET", path: `${u}?startIndex=50001&count=200` },
    { key: "search-scan", label: 'POST /Users/.search emails.value co "@example.com", sortBy displayName', method: "POST", path: `${u}/.search`, body: search({ filter: 'emails.value co "@example.com"', sortBy: "displayName", count: 200 }) },
    { key: "range-and", label: 'Users filter groups.value eq "<big group>" and active eq true', method: "GET", path: filterPath(c.scimPath, "Users", `groups.value eq "${big}" and active eq true`, "&count=200") },
    { key: "range-sorted", label: 'Users filter groups.value eq "<big group>", sortBy=userName', method: "GET", path: filterPath(c.scimPath, "Users", `groups.value eq "${big}"`, "&sortBy=userName&count=200") },
    { key: "groups-members", label: "GET /Groups (members expanded), count=200", method: "GET", path: `${g}?count=200` },
    { key: "groups-members-2", label: "GET /Groups?startIndex=2 (members expanded)", method: "GET", path: `${g}?startIndex=2&count=200` },
    { key: "groups-co", label: 'Groups filter displayName co "Team"', method: "GET", path: filterPath(c.scimPath, "Groups", 'displayName co "Team"') },
    { key: "users-page", label: "GET /Users?count=200", method: "GET", path: `${u}?count=200` },
  ];
}

/** The worst request's bound: one limit of storage's LIST_LIMITS (10,000 rows) plus a page of 200 and its groups. */
export const HOSTILE_BUDGET = { maxRead: 12_000, maxStatements: 15, text: "≤ 12,000 read and ≤ 15 statements at every size; flat from 10,000 users up" };
