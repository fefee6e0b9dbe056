/**
 * OAuth 2.0 clients of a tenant, their secrets and the access tokens they
 * obtain with the client credentials grant (RFC 6749 §4.4).
 *
 * What is stored, and where (docs/storage.md, "OAuth clients"):
 * - D1 `oauth_clients`: client id, label, access-token lifetime.
 * - D1 `oauth_client_secrets`: SHA-256 hashes of the secrets (two at most:
 *   rotation with overlap). The plain secret is returned once, at creation.
 * - KV `token:<tenantId>:<sha256(access token)>`: the very key space of the
 *   static tokens (src/storage/tokens.ts), so an access token authenticates on
 *   the tenant's SCIM routes exactly like a static token — one KV `get`, the
 *   tenant in the key, the expiry checked in code — and on no other tenant.
 * - D1 `oauth_access_tokens`: the hashes of each client's live access tokens,
 *   so deleting a client or a secret deletes exactly their KV keys at once.
 *
 * Secrets and access tokens are 256 random bits; a SHA-256 hash of that much
 * entropy cannot be reversed or guessed, so no slow password hash is needed,
 * and the secret is looked up by its hash (an index seek), never compared.
 *
 * Every multi-statement change is one D1 batch, and every statement is scoped
 * by tenant. The write statements are raw SQL: they need INSERT … SELECT with
 * guards and RETURNING in one batch, which Drizzle's builder cannot say.
 */
import { and, asc, eq } from "drizzle-orm";
import type { Database, RequestDatabase } from "./database.js";
import { newResourceId } from "./ids.js";
import { oauthAccessTokens, oauthClients, oauthClientSecrets } from "./schema.js";
import { base64url, sha256Hex, tokenKey, type TokenRecord } from "./tokens.js";

/** Recognisable prefixes (secret scanners, support staff) + 256 random bits, as for static tokens. */
export const CLIENT_SECRET_PREFIX = "scimcs_";
export const ACCESS_TOKEN_PREFIX = "scimat_";
const RANDOM_BYTES = 32;

/** Access-token lifetime in minutes: Microsoft's gallery asks for 60 to 360. */
export const ACCESS_TOKEN_MINUTES = { min: 60, max: 360, default: 60 } as const;
/** Bounds that keep listing and deleting a tenant's clients bounded work. */
export const MAX_CLIENTS_PER_TENANT = 25;
/** Two: the current secret and its replacement during a rotation. */
export const MAX_SECRETS_PER_CLIENT = 2;
/**
 * Live access tokens kept per client; getting one more revokes the oldest.
 * An IdP asks for a token about once per lifetime, so only a client that
 * discards its tokens meets this; it bounds the KV deletes of a revocation.
 */
export const MAX_LIVE_TOKENS_PER_CLIENT = 5;

export interface OAuthSecretRecord {
  id: string;
  createdAt: number;
  lastUsedAt: number | null;
}

export interface OAuthClientRecord {
  id: string;
  label: string | null;
  accessTokenMinutes: number;
  createdAt: number;
  /** Oldest first. */
  secrets: OAuthSecretRecord[];
}

/** A secret as created: the plain value exists only in this object, for the one response that shows it. */
export interface NewSecret {
  id: string;
  secret: string;
  createdAt: number;
}

export type CreateClientResult =
  | { ok: true; client: OAuthClientRecord; secret: NewSecret }
  | { ok: false; reason: "tenant_not_found" | "limit" };

export type AddSecretResult = { ok: true; secret: NewSecret } | { ok: false; reason: "client_not_found" | "limit" };

export interface IssuedAccessToken {
  accessToken: string;
  expiresAt: number;
  /** Seconds, for `expires_in` (RFC 6749 §5.1). */
  expiresIn: number;
}

function randomSecret(prefix: string): string {
  const raw = new Uint8Array(RANDOM_BYTES);
  crypto.getRandomValues(raw);
  return prefix + base64url(raw);
}

async function newSecret(now: number): Promise<NewSecret & { hash: string }> {
  const secret = randomSecret(CLIENT_SECRET_PREFIX);
  return { id: newResourceId(now), secret, createdAt: now, hash: await sha256Hex(secret) };
}

/** Deletes the KV keys of access tokens whose rows a batch just deleted (RETURNING token_hash). */
async function deleteTokenKeys(kv: KVNamespace, tenantId: string, rows: Array<{ token_hash: string }>): Promise<void> {
  await Promise.all(rows.map((r) => kv.delete(tokenKey(tenantId, r.token_hash))));
}

/**
 * Creates a client with its first secret, in one batch. The client insert is
 * guarded by the tenant being live and under MAX_CLIENTS_PER_TENANT (one
 * statement, so two concurrent creates cannot both pass the count); the
 * secret insert by the client row the first statement wrote.
 */
export async function createOAuthClient(
  rd: RequestDatabase,
  tenantId: string,
  input: { label: string | null; accessTokenMinutes: number },
  now: number = Date.now(),
): Promise<CreateClientResult> {
  const clientId = newResourceId(now);
  const secret = await newSecret(now);
  const [client, , tenant] = await rd.d1.batch([
    rd.d1
      .prepare(
        `INSERT INTO oauth_clients (tenant_id, id, label, access_token_minutes, created_at)
         SELECT ?1, ?2, ?3, ?4, ?5
         WHERE EXISTS (SELECT 1 FROM tenants WHERE id = ?1 AND deleted_at IS NULL)
           AND (SELECT count(*) FROM oauth_clients WHERE tenant_id = ?1) < ?6`,
      )
      .bind(tenantId, clientId, input.label, input.accessTokenMinutes, now, MAX_CLIENTS_PER_TENANT),
    rd.d1
      .prepare(
        `INSERT INTO oauth_client_secrets (tenant_id, client_id, id, secret_hash, created_at)
         SELECT ?1, ?2, ?3, ?4, ?5 WHERE EXISTS (SELECT 1 FROM oauth_clients WHERE tenant_id = ?1 AND id = ?2)`,
      )
      .bind(tenantId, clientId, secret.id, secret.hash, now),
    rd.d1.prepare(`SELECT EXISTS (SELECT 1 FROM tenants WHERE id = ?1 AND deleted_at IS NULL) AS live`).bind(tenantId),
  ]);
  if ((client?.meta.changes ?? 0) !== 1) {
    const live = (tenant?.results[0] as { live?: number } | undefined)?.live === 1;
    return { ok: false, reason: live ? "limit" : "tenant_not_found" };
  }
  return {
    ok: true,
    client: {
      id: clientId,
      label: input.label,
      accessTokenMinutes: input.accessTokenMinutes,
      createdAt: now,
      secrets: [{ id: secret.id, createdAt: now, lastUsedAt: null }],
    },
    secret: { id: secret.id, secret: secret.secret, createdAt: now },
  };
}

/** The tenant's clients with their secrets' metadata (never a hash), oldest first: two reads, one round trip. */
export async function listOAuthClients(db: Database, tenantId: string, clientId?: string): Promise<OAuthClientRecord[]> {
  const [clients, secrets] = await db.batch([
    db
      .select()
      .from(oauthClients)
      .where(and(eq(oauthClients.tenantId, tenantId), clientId === undefined ? undefined : eq(oauthClients.id, clientId)))
      .orderBy(asc(oauthClients.id)),
    db
      .select({ clientId: oauthClientSecrets.clientId, id: oauthClientSecrets.id, createdAt: oauthClientSecrets.createdAt, lastUsedAt: oauthClientSecrets.lastUsedAt })
      .from(oauthClientSecrets)
      .where(and(eq(oauthClientSecrets.tenantId, tenantId), clientId === undefined ? undefined : eq(oauthClientSecrets.clientId, clientId)))
      .orderBy(asc(oauthClientSecrets.clientId), asc(oauthClientSecrets.id)),
  ]);
  const byClient = new Map<string, OAuthSecretRecord[]>();
  for (const s of secrets) {
    const list = byClient.get(s.clientId) ?? [];
    list.push({ id: s.id, createdAt: s.createdAt, lastUsedAt: s.lastUsedAt });
    byClient.set(s.clientId, list);
  }
  return clients.map((c) => ({
    id: c.id,
    label: c.label,
    accessTokenMinutes: c.accessTokenMinutes,
    createdAt: c.createdAt,
    secrets: byClient.get(c.id) ?? [],
  }));
}

export async function getOAuthClient(db: Database, tenantId: string, clientId: string): Promise<OAuthClientRecord | undefined> {
  const [client] = await listOAuthClients(db, tenantId, clientId);
  return client;
}

/**
 * Adds a secret to a client (the first half of a rotation), guarded in one
 * statement by the client existing under a live tenant and having fewer than
 * MAX_SECRETS_PER_CLIENT secrets.
 */
export async function addClientSecret(rd: RequestDatabase, tenantId: string, clientId: string, now: number = Date.now()): Promise<AddSecretResult> {
  const secret = await newSecret(now);
  const [inserted, client] = await rd.d1.batch([
    rd.d1
      .prepare(
        `INSERT INTO oauth_client_secrets (tenant_id, client_id, id, secret_hash, created_at)
         SELECT ?1, ?2, ?3, ?4, ?5
         WHERE EXISTS (SELECT 1 FROM oauth_clients c JOIN tenants t ON t.id = c.tenant_id AND t.deleted_at IS NULL
                       WHERE c.tenant_id = ?1 AND c.id = ?2)
           AND (SELECT count(*) FROM oauth_client_secrets WHERE tenant_id = ?1 AND client_id = ?2) < ?6`,
      )
      .bind(tenantId, clientId, secret.id, secret.hash, now, MAX_SECRETS_PER_CLIENT),
    rd.d1.prepare(`SELECT EXISTS (SELECT 1 FROM oauth_clients WHERE tenant_id = ?1 AND id = ?2) AS found`).bind(tenantId, clientId),
  ]);
  if ((inserted?.meta.changes ?? 0) !== 1) {
    const found = (client?.results[0] as { found?: number } | undefined)?.found === 1;
    return { ok: false, reason: found ? "limit" : "client_not_found" };
  }
  return { ok: true, secret: { id: secret.id, secret: secret.secret, createdAt: now } };
}

/**
 * Deletes one secret (the end of a rotation) and revokes the access tokens it
 * obtained: if the old secret leaked, what was minted with it dies with it.
 * One batch; then the tokens' KV keys. False when there is no such secret.
 */
export async function deleteClientSecret(rd: RequestDatabase, kv: KVNamespace, tenantId: string, clientId: string, secretId: string): Promise<boolean> {
  const [tokens, secret] = await rd.d1.batch([
    rd.d1
      .prepare(`DELETE FROM oauth_access_tokens WHERE tenant_id = ?1 AND client_id = ?2 AND secret_id = ?3 RETURNING token_hash`)
      .bind(tenantId, clientId, secretId),
    rd.d1.prepare(`DELETE FROM oauth_client_secrets WHERE tenant_id = ?1 AND client_id = ?2 AND id = ?3 RETURNING id`).bind(tenantId, clientId, secretId),
  ]);
  await deleteTokenKeys(kv, tenantId, (tokens?.results ?? []) as Array<{ token_hash: string }>);
  return (secret?.results.length ?? 0) > 0;
}

/**
 * Deletes a client, its secrets and its access tokens in one batch (children
 * first: the foreign keys are NO ACTION), then the tokens' KV keys, so every
 * access token it obtained stops working at once. False when there is no such client.
 */
export async function deleteOAuthClient(rd: RequestDatabase, kv: KVNamespace, tenantId: string, clientId: string): Promise<boolean> {
  const [tokens, , client] = await rd.d1.batch([
    rd.d1.prepare(`DELETE FROM oauth_access_tokens WHERE tenant_id = ?1 AND client_id = ?2 RETURNING token_hash`).bind(tenantId, clientId),
    rd.d1.prepare(`DELETE FROM oauth_client_secrets WHERE tenant_id = ?1 AND client_id = ?2`).bind(tenantId, clientId),
    rd.d1.prepare(`DELETE FROM oauth_clients WHERE tenant_id = ?1 AND id = ?2 RETURNING id`).bind(tenantId, clientId),
  ]);
  await deleteTokenKeys(kv, tenantId, (tokens?.results ?? []) as Array<{ token_hash: string }>);
  return (client?.results.length ?? 0) > 0;
}

/**
 * The client credentials grant (RFC 6749 §4.4.3): when `clientSecret` is one
 * of the client's secrets under a live tenant, a new access token; otherwise
 * undefined, whatever the cause (unknown tenant, client or secret), so the
 * caller answers one invalid_client for all of them.
 *
 * One batch: the insert of the token row *is* the authentication (an
 * INSERT … SELECT that finds the secret by its hash, so nothing is written
 * for a wrong secret); then, only if it inserted, the client's expired rows
 * and those beyond MAX_LIVE_TOKENS_PER_CLIENT are deleted and the secret's
 * lastUsedAt is set. Then the KV key is written.
 *
 * A concurrent deletion of the client or secret may have deleted the row
 * (and its KV key) between the batch and the KV put; the row is read once
 * more after the put, and if it is gone the key is deleted again and no token
 * is returned — a revoked client never keeps a token.
 */
export async function issueAccessToken(
  rd: RequestDatabase,
  kv: KVNamespace,
  tenantId: string,
  clientId: string,
  clientSecret: string,
  now: number = Date.now(),
): Promise<IssuedAccessToken | undefined> {
  const secretHash = await sha256Hex(clientSecret);
  const accessToken = randomSecret(ACCESS_TOKEN_PREFIX);
  const tokenHash = await sha256Hex(accessToken);
  const issued = `EXISTS (SELECT 1 FROM oauth_access_tokens WHERE tenant_id = ?1 AND client_id = ?2 AND token_hash = ?3)`;
  const [inserted, evicted, , placed] = await rd.d1.batch([
    rd.d1
      .prepare(
        `INSERT INTO oauth_access_tokens (tenant_id, client_id, token_hash, secret_id, created_at, expires_at)
         SELECT s.tenant_id, s.client_id, ?3, s.id, ?4, ?4 + c.access_token_minutes * 60000
         FROM oauth_client_secrets s
         JOIN oauth_clients c ON c.tenant_id = s.tenant_id AND c.id = s.client_id
         JOIN tenants t ON t.id = s.tenant_id AND t.deleted_at IS NULL
         WHERE s.tenant_id = ?1 AND s.client_id = ?2 AND s.secret_hash = ?5
         RETURNING expires_at`,
      )
      .bind(tenantId, clientId, tokenHash, now, secretHash),
    rd.d1
      .prepare(
        `DELETE FROM oauth_access_tokens
         WHERE tenant_id = ?1 AND client_id = ?2 AND ${issued}
           AND (expires_at <= ?4 OR token_hash NOT IN (
             SELECT token_hash FROM oauth_access_tokens WHERE tenant_id = ?1 AND client_id = ?2
             ORDER BY token_hash = ?3 DESC, created_at DESC LIMIT ?5))
         RETURNING token_hash`,
      )
      .bind(tenantId, clientId, tokenHash, now, MAX_LIVE_TOKENS_PER_CLIENT),
    rd.d1
      .prepare(`UPDATE oauth_client_secrets SET last_used_at = ?4 WHERE tenant_id = ?1 AND client_id = ?2 AND secret_hash = ?5 AND ${issued}`)
      .bind(tenantId, clientId, tokenHash, now, secretHash),
    // The tenant's data shard, for the KV record (docs/sharding.md).
    rd.d1.prepare(`SELECT shard FROM tenants WHERE id = ?1`).bind(tenantId),
  ]);
  const row = inserted?.results[0] as { expires_at: number } | undefined;
  if (!row) return undefined;
  const expiresAt = row.expires_at;
  const shard = (placed?.results[0] as { shard: string } | undefined)?.shard;
  const record: TokenRecord = { tokenId: clientId, expiresAt, clientId, ...(shard ? { shard } : {}) };
  // Lifetimes are ≥ 60 minutes, above KV's 60-second minimum; expiry is also checked in code (scim-auth).
  await kv.put(tokenKey(tenantId, tokenHash), JSON.stringify(record), { expiration: Math.floor(expiresAt / 1000) });
  await deleteTokenKeys(kv, tenantId, (evicted?.results ?? []) as Array<{ token_hash: string }>);
  const still = await rd.d1
    .prepare(`SELECT 1 AS live FROM oauth_access_tokens WHERE tenant_id = ?1 AND client_id = ?2 AND token_hash = ?3`)
    .bind(tenantId, clientId, tokenHash)
    .first();
  if (!still) {
    await kv.delete(tokenKey(tenantId, tokenHash));
    return undefined;
  }
  return { accessToken, expiresAt, expiresIn: Math.round((expiresAt - now) / 1000) };
}

/**
 * Part of a tenant's deletion (src/storage/tenants.ts deleteTenant): every
 * client, secret and access-token row of the tenant in one batch (bounded by
 * MAX_CLIENTS_PER_TENANT), then the tokens' KV keys (purgeTenantTokens has
 * already deleted the `token:<tenantId>:` prefix; this covers keys a list
 * did not return yet).
 */
export async function purgeTenantOAuthClients(db: Database, kv: KVNamespace, tenantId: string): Promise<void> {
  const [tokens] = await db.batch([
    db.delete(oauthAccessTokens).where(eq(oauthAccessTokens.tenantId, tenantId)).returning({ token_hash: oauthAccessTokens.tokenHash }),
    db.delete(oauthClientSecrets).where(eq(oauthClientSecrets.tenantId, tenantId)),
    db.delete(oauthClients).where(eq(oauthClients.tenantId, tenantId)),
  ]);
  await deleteTokenKeys(kv, tenantId, tokens);
}
