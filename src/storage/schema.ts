/**
 * The D1 schema (Drizzle). Every table is keyed by tenant_id first: every
 * query is scoped by tenant and a tenant's rows are contiguous in each index,
 * which is also the seam for sharding tenants across databases later.
 *
 * Timestamps are integer milliseconds since the epoch (the licence sweep
 * compares them with controller.scheduledTime); the SCIM layer renders them
 * as xsd:dateTime.
 *
 * memberships and licences are WITHOUT ROWID tables: drizzle-kit cannot say
 * so, and the generated CREATE TABLE is amended in review (docs/storage.md).
 * That keeps one membership at 2 rows written (table + user index) and an
 * active licence at 1, which the member-change budget (≤ 5 written) needs.
 */
import { sql } from "drizzle-orm";
import { check, foreignKey, index, integer, primaryKey, sqliteTable, sqliteView, text, uniqueIndex } from "drizzle-orm/sqlite-core";

export const tenants = sqliteTable("tenants", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  /** JSON array of lower-case domains; empty = any domain. */
  allowedDomains: text("allowed_domains").notNull().default("[]"),
  proGraceHours: integer("pro_grace_hours").notNull().default(23),
  /** JSON array of known locations; empty = keep any value as sent. */
  locations: text("locations").notNull().default("[]"),
  /**
   * Whether a group created without the licence extension attribute is a
   * licensing group ("pro", the seed rule) or not ("free": for identity
   * providers that never send the extension, e.g. Okta group push). Read
   * inside the SCIM write SQL as `tenants.licence_when_absent`; keep the name.
   */
  licenceWhenAbsent: text("licence_when_absent", { enum: ["pro", "free"] }).notNull().default("pro"),
  createdAt: integer("created_at").notNull(),
  updatedAt: integer("updated_at").notNull(),
  /** Set while a tenant's data is being purged in chunks; the tenant is gone for every reader. */
  deletedAt: integer("deleted_at"),
});

/**
 * Per-tenant counters, updated in the same batch as every change, so stats
 * never need a count(*) scan (platform-notes §8 rule 6).
 */
export const tenantStats = sqliteTable("tenant_stats", {
  tenantId: text("tenant_id").primaryKey(),
  users: integer("users").notNull().default(0),
  activeUsers: integer("active_users").notNull().default(0),
  groups: integer("groups").notNull().default(0),
  memberships: integer("memberships").notNull().default(0),
  proLicenses: integer("pro_licenses").notNull().default(0),
  downgradedLicenses: integer("downgraded_licenses").notNull().default(0),
});

/** Token metadata for the admin listing; the secret lives only as a hash in KV (docs/storage.md). */
export const tokens = sqliteTable(
  "tokens",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull(),
    label: text("label"),
    /** SHA-256 hex of the token: the KV key suffix, needed to delete the KV key on revocation. */
    tokenHash: text("token_hash").notNull(),
    createdAt: integer("created_at").notNull(),
    expiresAt: integer("expires_at"),
    lastUsedAt: integer("last_used_at"),
  },
  (t) => [index("tokens_tenant_idx").on(t.tenantId, t.createdAt)],
);

export const users = sqliteTable(
  "users",
  {
    tenantId: text("tenant_id").notNull(),
    id: text("id").notNull(),
    userName: text("user_name").notNull(),
    /** NFKC + toLowerCase of userName: Unicode-aware case-insensitive uniqueness (NOCASE folds ASCII only). */
    userNameKey: text("user_name_key").notNull(),
    externalId: text("external_id"),
    /** Normalised value of the work email: the index behind emails[type eq "work"].value eq. */
    workEmailKey: text("work_email_key"),
    displayName: text("display_name"),
    active: integer("active", { mode: "boolean" }).notNull(),
    /** The canonical SCIM document (core attributes + extensions under their URN), without id/meta/groups. */
    doc: text("doc").notNull(),
    createdAt: integer("created_at").notNull(),
    lastModified: integer("last_modified").notNull(),
    /** Random token behind meta.version (weak ETag) and the optimistic write guard. */
    etag: text("etag").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    uniqueIndex("users_user_name_key_uq").on(t.tenantId, t.userNameKey),
    index("users_external_id_idx").on(t.tenantId, t.externalId),
    index("users_work_email_idx").on(t.tenantId, t.workEmailKey),
  ],
);

export const groups = sqliteTable(
  "groups",
  {
    tenantId: text("tenant_id").notNull(),
    id: text("id").notNull(),
    displayName: text("display_name").notNull(),
    displayNameKey: text("display_name_key").notNull(),
    externalId: text("external_id"),
    /** 1 when the licence extension attribute is true / "true" / "True" / absent. */
    licensing: integer("licensing", { mode: "boolean" }).notNull(),
    doc: text("doc").notNull(),
    /**
     * Memberships added (or, negative, removed) by the last member change,
     * written with changes() in the same batch so the tenant counter can add
     * it without reading the member list (docs/membership-model.md).
     */
    memberDelta: integer("member_delta").notNull().default(0),
    createdAt: integer("created_at").notNull(),
    lastModified: integer("last_modified").notNull(),
    etag: text("etag").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    uniqueIndex("groups_display_name_key_uq").on(t.tenantId, t.displayNameKey),
    index("groups_external_id_idx").on(t.tenantId, t.externalId),
  ],
);

/**
 * Direct memberships. WITHOUT ROWID (amended in review). The composite
 * foreign keys make a member id from another tenant, or an unknown one,
 * impossible to link whatever races happen: D1 enforces them in every batch,
 * and the parent lookups are not billed as rows read (docs/membership-model.md).
 * NO ACTION, never CASCADE: deletes remove children explicitly (platform-notes §1.8).
 */
export const memberships = sqliteTable(
  "memberships",
  {
    tenantId: text("tenant_id").notNull(),
    groupId: text("group_id").notNull(),
    userId: text("user_id").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.groupId, t.userId] }),
    index("memberships_user_idx").on(t.tenantId, t.userId),
    foreignKey({ columns: [t.tenantId, t.groupId], foreignColumns: [groups.tenantId, groups.id] }).onDelete("no action"),
    foreignKey({ columns: [t.tenantId, t.userId], foreignColumns: [users.tenantId, users.id] }).onDelete("no action"),
  ],
);

/** One Pro licence per user at most. WITHOUT ROWID (amended in review). */
export const licences = sqliteTable(
  "licences",
  {
    tenantId: text("tenant_id").notNull(),
    userId: text("user_id").notNull(),
    status: text("status", { enum: ["active", "downgraded"] }).notNull(),
    since: integer("since").notNull(),
    downgradedAt: integer("downgraded_at"),
    /**
     * Sweep hint: set when the licence is downgraded. A re-upgrade leaves it
     * in place (so it costs no index write) and the sweep clears stale hints
     * it meets; the API shows expiresAt only for downgraded licences.
     */
    expiresAt: integer("expires_at"),
    /** "<nonce>:granted|revived|downgraded": the last transition and the request that made it. */
    transition: text("transition"),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.userId] }),
    foreignKey({ columns: [t.tenantId, t.userId], foreignColumns: [users.tenantId, users.id] }).onDelete("no action"),
    // Partial: only downgraded licences carry expires_at, so the sweep reads
    // O(expired) rows and an active licence costs no index write.
    index("licences_expiry_idx").on(t.expiresAt).where(sql`${t.expiresAt} IS NOT NULL`),
  ],
);

/**
 * The licences a user holds right now, for the vendor's own app reading D1
 * (docs/licences.md, "Reading licences"). A downgraded licence whose
 * expires_at has passed is hidden at read time, whether or not the sweep has
 * deleted it yet, so the 24-hour promise holds even if cron runs are missed.
 * downgraded_at / expires_at are NULL for active licences, as in the admin
 * API (an active licence may keep a stale sweep hint in expires_at).
 *
 * "Now" is SQLite's clock in epoch milliseconds, the unit of every timestamp
 * here: unixepoch('subsec') (SQLite ≥ 3.42, D1 and workerd have it;
 * test/licences/licence-expiry-at-read.test.ts checks it against Date.now()).
 * `expires_at <= now` is expired, as in the sweep.
 */
export const currentLicences = sqliteView("current_licences", {
  tenantId: text("tenant_id").notNull(),
  userId: text("user_id").notNull(),
  status: text("status", { enum: ["active", "downgraded"] }).notNull(),
  since: integer("since").notNull(),
  downgradedAt: integer("downgraded_at"),
  expiresAt: integer("expires_at"),
}).as(
  sql`SELECT tenant_id, user_id, status, since,
    CASE WHEN status = 'downgraded' THEN downgraded_at END AS downgraded_at,
    CASE WHEN status = 'downgraded' THEN expires_at END AS expires_at
  FROM licences
  WHERE status = 'active' OR expires_at IS NULL OR expires_at > CAST(unixepoch('subsec') * 1000 AS INTEGER)`,
);

/**
 * Never holds a row: its CHECK rejects every insert. An etag-guarded rewrite
 * inserts here when its UPDATE matched nothing, which fails the statement and
 * rolls back the whole D1 batch, so a lost race changes nothing
 * (src/storage/write-guard.ts).
 */
export const lostRaces = sqliteTable("lost_races", { resource: text("resource").notNull() }, () => [check("lost_race", sql`0`)]);
