// The operations Entra ID and Okta send, one scenario each. A scenario makes
// targets: `next()` returns the next request (a fresh user, group or name
// each time, so no answer comes from a warm cache alone); finite pools
// (DELETE, member changes) also say how many targets are left.

import { randomUUID } from "node:crypto";
import { GROUP_EXT_URN, LICENCE_ATTR, USER_EXT_URN, USER_SCHEMA, userBody } from "./seed.mjs";

export const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/** Row budgets (issues 3, 4, 5). `flat`: the same figure at every size. */
export const BUDGETS = {
  // Issue 3: ≤ 3 rows for the lookup itself, measured on the same request with
  // `excludedAttributes=groups`. The seeded users are members of the big
  // group, and the default `groups` attribute costs 3 more rows for one group
  // (membership index entry + end of range + the group row): the full figure
  // must be at most lookup + 3, and both the same at every size.
  point: { maxLookupRead: 3, groupsRead: 3, flat: true, text: "lookup ≤ 3 read (+ 3 for the user's one group), same at every size" },
  member: { maxRead: 10, maxWritten: 5, text: "≤ 10 read, ≤ 5 written" },
  excluded: { maxRead: 3, text: "≤ 3 read" },
};

/** Concurrent writers of one resource in a burst (the figure the lifecycle issue sets: 20). */
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
        const n = c.postCounter++;
        const body = userBody(c.L, 0);
        body.userName = `Bench.New-${c.runTag}-${n}@Example.com`;
        body.externalId = randomUUID();
        body.emails = [{ primary: true, type: "work", value: `bench.new-${c.runTag}-${n}@example.com` }];
        body.displayName = `New ${n}`;
        body.name = { givenName: "New", familyName: `User${n}` };
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
          const body = {
            schemas: [PATCH_OP],
            Operations: [
              { op: "Replace", path: "name.familyName", value: `Family${u}-r${v}` },
              { op: "Replace", path: 'emails[type eq "work"].value', value: `bench.user${u}.r${v}@example.com` },
              { op: "Replace", path: "displayName", value: `Given${u} Family${u}-r${v}` },
              { op: "Replace", path: `${USER_EXT_URN}:location`, value: v % 2 ? "Lyon" : "Paris" },
            ],
          };
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
