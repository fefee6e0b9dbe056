/**
 * What the three test shards hold of the change feed, read straight from
 * D1: where each shard's numbering stands, and the ids of the events each
 * wrote since then as the feed names them (src/feed/events.ts eventId).
 */
import { binding as shard, SHARDS } from "./local-shards.js";

export { binding as shard, SHARDS } from "./local-shards.js";

/** The shard an event id names: `evt_<shard>_<seq>`, or `evt_<seq>` on DB. */
export const shardOfId = (id: string): string => /^evt_(DB_\d+)_\d+$/.exec(id)?.[1] ?? "DB";

/** Each shard's last seq now: what a test's events come after (the shards are shared by the tests of a file). */
export async function lastSeqs(): Promise<Map<string, number>> {
  const at = new Map<string, number>();
  for (const name of SHARDS) at.set(name, (await shard(name).prepare(`SELECT COALESCE(max(seq), 0) AS n FROM events`).first<{ n: number }>())!.n);
  return at;
}

/** Each shard's events written after `since` (not the copies a move made), in that shard's order, as the feed names them. */
export async function eventIdsSince(since: Map<string, number>): Promise<Map<string, string[]>> {
  const ids = new Map<string, string[]>();
  for (const name of SHARDS) {
    const { results } = await shard(name)
      .prepare(`SELECT seq FROM events WHERE origin IS NULL AND seq > ?1 ORDER BY seq`)
      .bind(since.get(name) ?? 0)
      .all<{ seq: number }>();
    ids.set(name, results.map((r) => (name === "DB" ? `evt_${r.seq}` : `evt_${name}_${r.seq}`)));
  }
  return ids;
}
