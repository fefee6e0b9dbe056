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
 * request_log is one too (0006): a provisioning log entry is 1 row written.
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
  /**
   * The data shard (a D1 binding named in DATA_SHARDS) holding the tenant's
   * users, groups, licences, events and log (docs/sharding.md). Authoritative
   * in the control database (`DB`); each data shard keeps a copy of its
   * tenants' rows, because the SCIM write SQL reads the policy columns above
   * from the database it runs on.
   */
  shard: text("shard").notNull().default("DB"),
  /**
   * On a data shard's copy: SCIM writes of the tenant are refused here (503
   * Retry-After) — set while a move copies the tenant away, and kept on the
   * old copy once it has moved. Checked inside every write batch
   * (storage/write-guard.ts), so no write can slip between check and commit.
   */
  writesPausedAt: integer("writes_paused_at"),
  /** On the old shard's copy after a move: where the tenant went. */
  movedTo: text("moved_to"),
}, (t) => [index("tenants_shard_idx").on(t.shard, t.id)]);

/**
 * Per-tenant counters, updated in the same batch as every change, so stats
 * never need a count(*) scan, which would read every row of the tenant and hold D1's single writer.
 */
export const tenantStats = sqliteTable("tenant_stats", {
  tenantId: text("tenant_id").primaryKey(),
  users: integer("users").notNull().default(0),
  activeUsers: integer("active_users").notNull().default(0),
  groups: integer("groups").notNull().default(0),
  memberships: integer("memberships").notNull().default(0),
  proLicenses: integer("pro_licenses").notNull().default(0),
  downgradedLicenses: integer("downgraded_licenses").notNull().default(0),
  /**
   * The highest per-tenant event sequence number the retention prune has
   * deleted: where the tenant's sequence continues once all its events are
   * pruned, and the bound below which a feed cursor is stale (410).
   */
  eventsPrunedThrough: integer("events_pruned_through").notNull().default(0),
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
 * NO ACTION, never CASCADE: deletes remove children explicitly (docs/storage.md, "Migrations").
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

/**
 * Never holds a row, as lost_races: a SCIM write batch first inserts the
 * tenant's id here when its copy on this shard has writes paused (a move),
 * the CHECK fails and D1 rolls the batch back (storage/write-guard.ts).
 */
export const pausedWrites = sqliteTable("paused_writes", { tenantId: text("tenant_id").notNull() }, () => [check("tenant_writes_paused", sql`0`)]);

/**
 * The change feed (docs/events.md): one row per change, written in the same
 * D1 batch as the change, so there is no change without its event and no
 * event without its change. `seq` orders the feed across tenants (SQLite
 * assigns it at commit; D1 has one writer, so a reader never sees a later
 * seq before an earlier one); `tenant_seq` numbers one tenant's events
 * 1, 2, 3… without gaps.
 */
export const events = sqliteTable(
  "events",
  {
    // The rowid, assigned explicitly after every event ever written (event_feed.seq_floor remembers deleted ones),
    // rather than by AUTOINCREMENT, which costs a write of sqlite_sequence per statement.
    seq: integer("seq").primaryKey(),
    tenantId: text("tenant_id").notNull(),
    tenantSeq: integer("tenant_seq").notNull(),
    occurredAt: integer("occurred_at").notNull(),
    type: text("type").notNull(),
    resourceId: text("resource_id").notNull(),
    externalId: text("external_id"),
    /** JSON: the resource after the change, or the membership / licence facts. */
    data: text("data").notNull(),
    /** The SCIM request that caused it, or "sweep". */
    requestId: text("request_id").notNull(),
    /**
     * Set on an event copied here by a tenant move: "<shard>:<seq>", where it
     * was written and its seq there. Its id stays the one it was delivered
     * under, and the global feed leaves it out: it was in the feed of the
     * shard it came from (docs/sharding.md, "The change feed across shards").
     */
    origin: text("origin"),
  },
  (t) => [
    uniqueIndex("events_tenant_seq_uq").on(t.tenantId, t.tenantSeq),
    // "Everything that happened to this user": a resource's events in order.
    index("events_resource_idx").on(t.tenantId, t.resourceId, t.tenantSeq),
  ],
);

/** One row (id = 1): where the global feed stands after deletions. */
export const eventFeed = sqliteTable("event_feed", {
  id: integer("id").primaryKey(),
  /** The highest `seq` retention has deleted (a prefix of the feed): a global cursor below it is stale. */
  prunedThrough: integer("pruned_through").notNull().default(0),
  /** The highest `seq` ever deleted (retention or a tenant's purge): new events number above it, never reusing one. */
  seqFloor: integer("seq_floor").notNull().default(0),
});

/**
 * OAuth 2.0 clients of a tenant (RFC 6749 §2; the client credentials grant,
 * §4.4), for identity providers that want short-lived access tokens instead
 * of a long-lived one (Microsoft's gallery onboarding). Bounded per tenant
 * (src/storage/oauth-clients.ts), so listing and deleting them is bounded work.
 */
export const oauthClients = sqliteTable(
  "oauth_clients",
  {
    tenantId: text("tenant_id").notNull(),
    /** The client_id (UUIDv7: not secret, time-ordered). */
    id: text("id").notNull(),
    label: text("label"),
    /** Lifetime of the access tokens this client gets, 60–360 minutes. */
    accessTokenMinutes: integer("access_token_minutes").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.id] })],
);

/**
 * A client's secrets, as SHA-256 hashes only: two at most, so a secret can be
 * rotated with overlap (add the new one, switch the IdP, delete the old one).
 */
export const oauthClientSecrets = sqliteTable(
  "oauth_client_secrets",
  {
    tenantId: text("tenant_id").notNull(),
    clientId: text("client_id").notNull(),
    id: text("id").notNull(),
    /** SHA-256 hex of the secret: the token endpoint looks the presented secret up by its hash, never compares secrets. */
    secretHash: text("secret_hash").notNull(),
    createdAt: integer("created_at").notNull(),
    /** When the secret last obtained an access token: tells an admin rotating whether the old secret is still in use. */
    lastUsedAt: integer("last_used_at"),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.clientId, t.id] }),
    uniqueIndex("oauth_client_secrets_hash_uq").on(t.tenantId, t.clientId, t.secretHash),
    foreignKey({ columns: [t.tenantId, t.clientId], foreignColumns: [oauthClients.tenantId, oauthClients.id] }).onDelete("no action"),
  ],
);

/**
 * The live access tokens of a client, as SHA-256 hashes: the lookup itself is
 * the KV key `token:<tenantId>:<hash>` every SCIM request reads (as for static
 * tokens); these rows exist so that deleting a client or a secret can delete
 * exactly its tokens' KV keys at once. At most a few per client; expired rows
 * are removed when the client gets its next token.
 */
export const oauthAccessTokens = sqliteTable(
  "oauth_access_tokens",
  {
    tenantId: text("tenant_id").notNull(),
    clientId: text("client_id").notNull(),
    tokenHash: text("token_hash").notNull(),
    /** The secret that obtained it: deleting that secret revokes the token too. */
    secretId: text("secret_id").notNull(),
    createdAt: integer("created_at").notNull(),
    expiresAt: integer("expires_at").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.clientId, t.tokenHash] }),
    foreignKey({ columns: [t.tenantId, t.clientId], foreignColumns: [oauthClients.tenantId, oauthClients.id] }).onDelete("no action"),
  ],
);

/**
 * Webhook endpoints (docs/webhooks.md): where the change feed is pushed,
 * Standard Webhooks-signed, at least once and in order. Not keyed by tenant:
 * an endpoint belongs to the deployment and follows one tenant's feed
 * (`tenant_id`) or every tenant's (NULL). Bounded in number
 * (src/storage/webhooks.ts), so a delivery run reads them all in one scan.
 */
export const webhookEndpoints = sqliteTable("webhook_endpoints", {
  /** UUIDv7. */
  id: text("id").primaryKey(),
  url: text("url").notNull(),
  /** The tenant whose feed this endpoint follows; NULL = every tenant. */
  tenantId: text("tenant_id"),
  /** That tenant's created_at: a tenant deleted and created again under the same id is another tenant, and gets nothing. */
  tenantCreatedAt: integer("tenant_created_at"),
  /** JSON array of subscribed event types; NULL = every type. */
  types: text("types"),
  /** The signing secret, AES-256-GCM-sealed under WEBHOOK_SECRETS_KEY (src/webhooks/secrets.ts); never the plain value. */
  secretSealed: text("secret_sealed").notNull(),
  createdAt: integer("created_at").notNull(),
  /**
   * The outbox cursor: the feed position (the tenant's tenant_seq, or the
   * global seq for an all-tenants endpoint) through which every event was
   * acknowledged by the receiver or filtered out. Moves only after a 2xx.
   */
  cursorPosition: integer("cursor_position").notNull(),
  /**
   * An all-tenants endpoint's position on the other data shards (JSON object
   * shard → seq; `cursor_position` is the position on `DB`). Empty for a
   * tenant's endpoint, whose tenant_seq is the same on whichever shard.
   */
  shardCursors: text("shard_cursors").notNull().default("{}"),
  /** Consecutive failed attempts (0 after a success): the back-off's exponent. */
  failures: integer("failures").notNull().default(0),
  /** Not before this (the run's scheduled time, ms): the back-off. 0 = due. */
  nextAttemptAt: integer("next_attempt_at").notNull().default(0),
  /** The run delivering to it now, and until when (wall clock, ms): one run per endpoint at a time keeps events in order. */
  leaseOwner: text("lease_owner"),
  leaseUntil: integer("lease_until"),
  /** Events acknowledged so far. */
  delivered: integer("delivered").notNull().default(0),
  lastSuccessAt: integer("last_success_at"),
  lastFailureAt: integer("last_failure_at"),
  /** The HTTP status of the last failure; NULL when there was no response (timeout, network). */
  lastFailureStatus: integer("last_failure_status"),
  /** "http_status" | "redirect" | "timeout" | "network" | "secret_unreadable". */
  lastFailureError: text("last_failure_error"),
  lastFailureEventId: text("last_failure_event_id"),
  /** Positions retention pruned before this endpoint got them (it failed for longer than the feed keeps events). */
  expiredUndelivered: integer("expired_undelivered").notNull().default(0),
});

/**
 * The provisioning log (src/middleware/request-log/, src/provisioning-log/):
 * one row per SCIM request of a tenant — method, path, status, the SCIM
 * error's scimType and detail, the resource it named, duration, User-Agent,
 * request id. Never a body, a header other than the User-Agent, a query
 * string or a token.
 *
 * WITHOUT ROWID (amended in review, docs/storage.md) and no secondary index:
 * an entry is exactly 1 row written. The one key serves both reads:
 * `hour` first gives a tenant's log newest first, an hour at a time
 * (SQLite sorts within an hour, "USE TEMP B-TREE FOR LAST 2 TERMS OF ORDER
 * BY"); `resource_id` next makes "the requests that touched this user" one
 * seek per hour of retention. '' = the request named no resource.
 */
export const requestLog = sqliteTable(
  "request_log",
  {
    tenantId: text("tenant_id").notNull(),
    /** floor(at / 3,600,000): the hour the request started in. */
    hour: integer("hour").notNull(),
    /** The user or group the request named (`/Users/{id}`) or created (POST); '' for none. */
    resourceId: text("resource_id").notNull(),
    /** When the request started (ms). */
    at: integer("at").notNull(),
    requestId: text("request_id").notNull(),
    method: text("method").notNull(),
    /** Relative to the Tenant URL, without the query string (a filter names people). */
    path: text("path").notNull(),
    status: integer("status").notNull(),
    /** RFC 7644 §3.12 scimType of the error answered, if any. */
    scimType: text("scim_type"),
    /** The error's detail with the values the client sent taken out (src/middleware/request-log/loggable-detail.ts). */
    detail: text("detail"),
    durationMs: integer("duration_ms").notNull(),
    userAgent: text("user_agent"),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.hour, t.resourceId, t.at, t.requestId] })],
);

/**
 * Sessions of the support console (src/console/): who signed in with the
 * ADMIN_TOKEN. The cookie carries `<id>.<secret>`; only the secret's
 * SHA-256 is kept, compared in constant time (src/storage/console-sessions.ts).
 * Not a tenant's data: a session reads every tenant, as the admin token does.
 */
export const consoleSessions = sqliteTable(
  "console_sessions",
  {
    id: text("id").primaryKey(),
    secretHash: text("secret_hash").notNull(),
    createdAt: integer("created_at").notNull(),
    expiresAt: integer("expires_at").notNull(),
  },
  (t) => [index("console_sessions_expiry_idx").on(t.expiresAt)],
);

/**
 * Setup links (src/storage/setup-links.ts): a customer's IT admin opens
 * `/setup/<tenantId>/<id>.<secret>` to see its Tenant URL, issue a token and
 * read its provisioning log. One tenant each, expiring, revocable; only the
 * secret's SHA-256 is kept. `tenant_created_at` ties a link to this tenant
 * and not to a later one that takes the id again.
 */
export const setupLinks = sqliteTable(
  "setup_links",
  {
    tenantId: text("tenant_id").notNull(),
    id: text("id").notNull(),
    secretHash: text("secret_hash").notNull(),
    tenantCreatedAt: integer("tenant_created_at").notNull(),
    createdAt: integer("created_at").notNull(),
    expiresAt: integer("expires_at").notNull(),
    revokedAt: integer("revoked_at"),
    /** Secret Tokens issued through the link: bounded (SETUP_LINK_MAX_TOKENS). */
    tokensIssued: integer("tokens_issued").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.id] })],
);

/**
 * The last Test Connection probe of each tenant: Entra's
 * `GET /Users?filter=userName eq "<random uuid>"` answered with no user
 * (src/scim/test-connection.ts recognises it). One row per tenant,
 * overwritten; the setup page shows it.
 */
export const testConnectionProbes = sqliteTable("test_connection_probes", {
  tenantId: text("tenant_id").primaryKey(),
  at: integer("at").notNull(),
  requestId: text("request_id").notNull(),
  userAgent: text("user_agent"),
});

/**
 * Tenant moves between data shards (src/moves/, docs/sharding.md): one row
 * per tenant, the latest move. Control database only. `progress` is the
 * resumable position of the current step (JSON: table and key reached),
 * `verification` the counts and checksums compared.
 */
export const tenantMoves = sqliteTable("tenant_moves", {
  tenantId: text("tenant_id").primaryKey(),
  id: text("id").notNull(),
  fromShard: text("from_shard").notNull(),
  toShard: text("to_shard").notNull(),
  /** "copying" | "verifying" | "switching" | "cleaning" | "rolling_back" | "done" | "failed" | "aborted" (src/moves/plan.ts). */
  state: text("state").notNull(),
  progress: text("progress").notNull().default("{}"),
  verification: text("verification"),
  error: text("error"),
  rowsCopied: integer("rows_copied").notNull().default(0),
  startedAt: integer("started_at").notNull(),
  updatedAt: integer("updated_at").notNull(),
  switchedAt: integer("switched_at"),
  finishedAt: integer("finished_at"),
  /** The scheduled run advancing it, and until when: one advancer at a time. */
  leaseOwner: text("lease_owner"),
  leaseUntil: integer("lease_until"),
}, (t) => [
  // The advancer looks up the moves under way on every scheduled run: through this index, not a scan of every move ever made.
  index("tenant_moves_state_idx").on(t.state, t.updatedAt),
]);
