/**
 * Per-tenant SCIM secret tokens.
 *
 * KV holds only hashes (docs/storage.md, "KV keys"):
 *   key   token:<tenantId>:<sha256hex(token)>
 *   value { "tokenId": string, "expiresAt": number | null, "shard": string }   (JSON)
 * The lookup key is built from the tenant in the URL, so a token presented on
 * another tenant's URL simply misses. Hashing before lookup means no secret is
 * ever compared, so no constant-time comparison is needed. D1 `tokens` keeps metadata for the admin listing; KV.list() is
 * used only to purge a deleted tenant's keys.
 */
import { and, desc, eq, isNull, lt, or } from "drizzle-orm";
import type { Database } from "./database.js";
import { newResourceId } from "./ids.js";
import { tokens } from "./schema.js";

/** Recognisable prefix (secret scanners, support staff) + 256 random bits. */
export const TOKEN_PREFIX = "scim_";
const TOKEN_BYTES = 32;
const KV_MIN_TTL_SECONDS = 60;
/** lastUsedAt is written at most once an hour per token (never a KV write per request). */
export const LAST_USED_RESOLUTION_MS = 60 * 60 * 1000;

export interface TokenRecord {
  tokenId: string;
  expiresAt: number | null;
  /**
   * Set on OAuth access tokens (src/storage/oauth-clients.ts), which share
   * this key space so they authenticate exactly like static tokens; they have
   * no `tokens` row (tokenId is the client id), so there is no lastUsedAt to touch.
   */
  clientId?: string;
  /**
   * The data shard of the tenant (docs/sharding.md), so a SCIM request opens
   * its database with no read of the control database. Absent on records
   * written before sharding: those tenants are on "DB". A move rewrites
   * every record of the tenant (rewriteTokenShard).
   */
  shard?: string;
}

export interface IssuedToken {
  id: string;
  token: string;
  label: string | null;
  createdAt: number;
  expiresAt: number | null;
}

export function base64url(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export function tokenKey(tenantId: string, hash: string): string {
  return `token:${tenantId}:${hash}`;
}

export async function issueToken(
  db: Database,
  kv: KVNamespace,
  tenantId: string,
  options: { label?: string | null; expiresInDays?: number | null; now?: number; shard: string },
): Promise<IssuedToken> {
  const now = options.now ?? Date.now();
  const raw = new Uint8Array(TOKEN_BYTES);
  crypto.getRandomValues(raw);
  const token = TOKEN_PREFIX + base64url(raw);
  const hash = await sha256Hex(token);
  const id = newResourceId(now);
  const expiresAt = options.expiresInDays ? now + options.expiresInDays * 86_400_000 : null;
  const label = options.label ?? null;
  await db.insert(tokens).values({ id, tenantId, label, tokenHash: hash, createdAt: now, expiresAt });
  const record: TokenRecord = { tokenId: id, expiresAt, shard: options.shard };
  const put: KVNamespacePutOptions = {};
  // KV rejects expirations under 60 s; expiry is also checked in code.
  if (expiresAt !== null && expiresAt - now >= KV_MIN_TTL_SECONDS * 1000) put.expiration = Math.floor(expiresAt / 1000);
  await kv.put(tokenKey(tenantId, hash), JSON.stringify(record), put);
  return { id, token, label, createdAt: now, expiresAt };
}

/** The token's record if it is valid for this tenant now; undefined otherwise (whatever the cause). */
export async function verifyToken(kv: KVNamespace, tenantId: string, token: string, now: number): Promise<TokenRecord | undefined> {
  const hash = await sha256Hex(token);
  const record = await kv.get<TokenRecord>(tokenKey(tenantId, hash), "json");
  if (!record) return undefined;
  if (record.expiresAt !== null && record.expiresAt <= now) return undefined;
  return record;
}

export async function listTokens(db: Database, tenantId: string) {
  return db
    .select({
      id: tokens.id,
      label: tokens.label,
      createdAt: tokens.createdAt,
      expiresAt: tokens.expiresAt,
      lastUsedAt: tokens.lastUsedAt,
    })
    .from(tokens)
    .where(eq(tokens.tenantId, tenantId))
    .orderBy(desc(tokens.createdAt));
}

/** Deletes the KV key at once and the metadata row; false when there is no such token. */
export async function revokeToken(db: Database, kv: KVNamespace, tenantId: string, tokenId: string): Promise<boolean> {
  const [row] = await db
    .select({ hash: tokens.tokenHash })
    .from(tokens)
    .where(and(eq(tokens.tenantId, tenantId), eq(tokens.id, tokenId)));
  if (!row) return false;
  await kv.delete(tokenKey(tenantId, row.hash));
  await db.delete(tokens).where(and(eq(tokens.tenantId, tenantId), eq(tokens.id, tokenId)));
  return true;
}

/** Deletes every token of a tenant: KV keys by prefix, then the metadata rows. */
export async function purgeTenantTokens(db: Database, kv: KVNamespace, tenantId: string): Promise<void> {
  let cursor: string | undefined;
  do {
    const page: KVNamespaceListResult<unknown, string> = await kv.list({ prefix: `token:${tenantId}:`, cursor });
    await Promise.all(page.keys.map((k) => kv.delete(k.name)));
    cursor = page.list_complete ? undefined : page.cursor;
  } while (cursor);
  // Rows whose KV key was already gone (or never listed yet) still point at their hash.
  const rows = await db.select({ hash: tokens.tokenHash }).from(tokens).where(eq(tokens.tenantId, tenantId));
  await Promise.all(rows.map((r) => kv.delete(tokenKey(tenantId, r.hash))));
  await db.delete(tokens).where(eq(tokens.tenantId, tenantId));
}

/**
 * Records lastUsedAt at most once per LAST_USED_RESOLUTION_MS. The WHERE
 * clause makes it so across isolates; callers run it in waitUntil, on an
 * unmetered database, off the request path.
 */
export async function touchToken(db: Database, tenantId: string, tokenId: string, now: number): Promise<void> {
  await db
    .update(tokens)
    .set({ lastUsedAt: now })
    .where(
      and(
        eq(tokens.tenantId, tenantId),
        eq(tokens.id, tokenId),
        or(isNull(tokens.lastUsedAt), lt(tokens.lastUsedAt, now - LAST_USED_RESOLUTION_MS)),
      ),
    );
}

/** Keys rewritten per call of rewriteTokenShard. */
export const REWRITE_PAGE = 100;

/**
 * Points every KV token record of a tenant (static tokens and OAuth access
 * tokens) at `shard`, keeping each key's expiration: the switch of a tenant
 * move (src/moves/). KV.list pages by a cursor; returns the next one, or
 * undefined when every key is rewritten, so a run can stop and resume.
 */
export async function rewriteTokenShard(kv: KVNamespace, tenantId: string, shard: string, cursor?: string): Promise<string | undefined> {
  // One page is at most REWRITE_PAGE keys, so one unit of a move's work makes at most 2 × REWRITE_PAGE KV calls.
  const page: KVNamespaceListResult<unknown, string> = await kv.list({ prefix: `token:${tenantId}:`, limit: REWRITE_PAGE, ...(cursor ? { cursor } : {}) });
  await Promise.all(
    page.keys.map(async (k) => {
      const record = await kv.get<TokenRecord>(k.name, "json");
      if (!record || record.shard === shard) return;
      await kv.put(k.name, JSON.stringify({ ...record, shard }), k.expiration ? { expiration: k.expiration } : {});
    }),
  );
  return page.list_complete ? undefined : page.cursor;
}
