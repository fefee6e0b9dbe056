/**
 * A wrangler config with three data shards (docs/sharding.md), made from the
 * project's wrangler.toml the way a vendor would edit it: two more
 * `[[d1_databases]]` bindings, each with its own database_id (wrangler dev
 * keys a local database by it) and `migrations_dir`, and `DATA_SHARDS =
 * "DB,DB_2,DB_3"`. Written into a directory of the caller's (the test's
 * persist dir), so `main` and `migrations_dir` are made absolute;
 * `[env.production]` is left out (never used here).
 */
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

const ROOT = path.resolve(import.meta.dirname, "../../..");

export const SHARDS = ["DB", "DB_2", "DB_3"] as const;

export function shardedWranglerConfig(dir: string): string {
  let text = readFileSync(path.join(ROOT, "wrangler.toml"), "utf8");
  const production = text.search(/^\[env\./m);
  if (production >= 0) text = text.slice(0, production);
  const absolute = (_: string, head: string, p: string) => `${head}${JSON.stringify(path.resolve(ROOT, p))}`;
  text = text.replace(/^(main\s*=\s*)"([^"]+)"/m, absolute);
  text = text.replace(/^(migrations_dir\s*=\s*)"([^"]+)"/gm, absolute);
  const shardsVar = /^DATA_SHARDS\s*=\s*"[^"]*"/m;
  if (!shardsVar.test(text)) throw new Error('wrangler.toml has no top-level DATA_SHARDS = "…" under [vars]');
  text = text.replace(shardsVar, `DATA_SHARDS = "${SHARDS.join(",")}"`);
  for (const [i, binding] of SHARDS.slice(1).entries()) {
    text += `
[[d1_databases]]
binding = "${binding}"
database_name = "scim-edge-e2e-${i + 2}"
database_id = "00000000-0000-0000-0000-00000000000${i + 2}"
migrations_dir = ${JSON.stringify(path.join(ROOT, "migrations"))}
`;
  }
  const file = path.join(dir, "wrangler.sharded.toml");
  writeFileSync(file, text);
  return file;
}

/**
 * Rows of one SQL statement on one local shard, read the way an operator
 * would: `wrangler d1 execute <binding> --local --json`, on the persist dir
 * a running `wrangler dev` uses.
 */
export function shardRows<T>(config: string, persistTo: string, binding: string, sql: string): Promise<T[]> {
  const args = [path.join(ROOT, "node_modules", "wrangler", "bin", "wrangler.js"), "d1", "execute", binding, "--local", "--config", config, "--persist-to", persistTo, "--json", "--command", sql];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false", NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.on("error", reject);
    child.on("exit", (code) => {
      if (code !== 0) return reject(new Error(`wrangler d1 execute ${binding} exited ${code}:\n${out}${err}`));
      try {
        resolve((JSON.parse(out) as Array<{ results: T[] }>)[0]!.results);
      } catch {
        reject(new Error(`wrangler d1 execute ${binding} printed no JSON:\n${out}${err}`));
      }
    });
  });
}
