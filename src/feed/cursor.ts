/**
 * Feed cursors: opaque to consumers, stable (a cursor names a position in
 * the feed, not a page), and tied to the feed they came from.
 *
 * - A tenant's cursor counts that tenant's sequence (tenant_seq), which is the
 *   same on whichever data shard the tenant lives: base64url of "v1:t:<n>".
 * - The all-tenants cursor holds one position (seq) per data shard
 *   (docs/sharding.md, "The change feed across shards"): base64url of
 *   "v2:g:<shard>=<n>,…". With the default single shard `DB` it is written
 *   as before, "v1:g:<n>", and a v1 cursor reads as the position on `DB`
 *   (0 on shards added since), so cursors survive adding shards.
 */
export type FeedScope = "tenant" | "global";

export class InvalidCursor extends Error {}

/** The all-tenants feed's position on each data shard (absent = 0, the beginning). */
export type ShardPositions = Record<string, number>;

const SHARD = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
const NUMBER = /^\d{1,15}$/;

function base64url(text: string): string {
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function unbase64url(cursor: string): string {
  try {
    return atob(cursor.replace(/-/g, "+").replace(/_/g, "/"));
  } catch {
    throw new InvalidCursor("is not a cursor of this feed");
  }
}

export function encodeCursor(scope: "tenant", position: number): string;
export function encodeCursor(scope: "global", positions: ShardPositions, shards: readonly string[]): string;
export function encodeCursor(scope: FeedScope, position: number | ShardPositions, shards: readonly string[] = []): string {
  if (scope === "tenant") return base64url(`v1:t:${position as number}`);
  const positions = position as ShardPositions;
  if (shards.length === 1 && shards[0] === "DB") return base64url(`v1:g:${positions["DB"] ?? 0}`);
  return base64url(`v2:g:${shards.map((s) => `${s}=${positions[s] ?? 0}`).join(",")}`);
}

/** The tenant position a cursor names; no cursor → the beginning (0). */
export function decodeTenantCursor(cursor: string | undefined): number {
  if (cursor === undefined || cursor === "") return 0;
  const match = /^v1:t:(\d{1,15})$/.exec(unbase64url(cursor));
  if (!match) throw new InvalidCursor("is not a cursor of this feed");
  return Number(match[1]);
}

/** The per-shard positions an all-tenants cursor names; no cursor → the beginning everywhere. */
export function decodeGlobalCursor(cursor: string | undefined): ShardPositions {
  if (cursor === undefined || cursor === "") return {};
  const text = unbase64url(cursor);
  const v1 = /^v1:g:(\d{1,15})$/.exec(text);
  if (v1) return { DB: Number(v1[1]) };
  const v2 = /^v2:g:(.{1,4000})$/.exec(text);
  if (!v2) throw new InvalidCursor("is not a cursor of this feed");
  const positions: ShardPositions = {};
  for (const part of v2[1]!.split(",")) {
    const [shard, n] = part.split("=");
    if (shard === undefined || n === undefined || !SHARD.test(shard) || !NUMBER.test(n)) throw new InvalidCursor("is not a cursor of this feed");
    positions[shard] = Number(n);
  }
  return positions;
}
