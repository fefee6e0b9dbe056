/**
 * Scheduled work on every data shard (docs/sharding.md): the licence sweep
 * and the retentions run the same bounded job on each shard, at the same
 * time — each shard is its own D1 database, so they do not wait for one
 * another — and one shard's failure (its schema behind, a D1 error) does not
 * stop the others: the caller reports it once every shard has answered.
 */
import type { RequestDatabase } from "./database.js";
import { openShard, shardNames, type ShardEnv } from "./shards.js";

export type ShardOutcome<T> = { shard: string; ok: true; value: T } | { shard: string; ok: false; error: unknown };

/** `job` on every data shard (DATA_SHARDS order), each opened and schema-checked on its own. */
export async function onEveryShard<T>(env: ShardEnv, job: (rd: RequestDatabase) => Promise<T>): Promise<Array<ShardOutcome<T>>> {
  return Promise.all(
    shardNames(env).map(async (shard): Promise<ShardOutcome<T>> => {
      try {
        return { shard, ok: true, value: await job(await openShard(env, shard)) };
      } catch (error) {
        return { shard, ok: false, error };
      }
    }),
  );
}
