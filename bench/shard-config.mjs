// The bench's multi-shard configuration: the D1 bindings DB, DB_2 … DB_N
// added to the bench's copy of wrangler.toml (benchWranglerConfig), each its
// own local database. wrangler dev keys a local database by its
// database_id, so each binding gets a distinct one; DATA_SHARDS is passed
// per run with `--var`, so one migrated persist directory serves the runs
// on 1, 2 and 4 shards.

import path from "node:path";

/** The data shard names of an N-shard deployment: DB, DB_2 … DB_N (DB is also the control database). */
export function shardBindingNames(n) {
  return Array.from({ length: n }, (_, k) => (k === 0 ? "DB" : `DB_${k + 1}`));
}

/** The top level of a wrangler.toml: everything before the first `[env.` table. */
function topLevel(text) {
  const i = text.search(/^\[+env\./m);
  return i < 0 ? text : text.slice(0, i);
}

/**
 * `config` (the bench's wrangler.toml) with a top-level [[d1_databases]]
 * block for every name in `names` it does not bind yet, inserted after the
 * first top-level [[d1_databases]] block.
 * @param {string} config
 * @param {string[]} names
 * @param {string} root the project directory (migrations_dir is absolute, the copy lives elsewhere)
 */
export function withShardBindings(config, names, root) {
  const top = topLevel(config);
  const bound = new Set([...top.matchAll(/^binding\s*=\s*"([^"]+)"/gm)].map((m) => m[1]));
  const missing = names.filter((n) => !bound.has(n));
  if (missing.length === 0) return config;
  const first = top.search(/^\[\[d1_databases\]\]/m);
  if (first < 0) throw new Error("wrangler.toml: no top-level [[d1_databases]] block");
  // The block ends at the next table header after its own (comments in between stay with it).
  const body = config.indexOf("\n", first) + 1;
  const next = config.slice(body).search(/^\[/m);
  const at = next < 0 ? config.length : body + next;
  const blocks = missing
    .map((name) =>
      [
        "[[d1_databases]]",
        `binding = "${name}"`,
        `database_name = "scim-edge-bench-${name.toLowerCase().replace(/_/g, "-")}"`,
        // Distinct from wrangler.toml's ids (those end in zeros and the shard's number in the commented examples).
        `database_id = "00000000-0000-4000-8000-${String(names.indexOf(name) + 1).padStart(12, "0")}"`,
        `migrations_dir = ${JSON.stringify(path.resolve(root, "migrations"))}`,
        "",
      ].join("\n"),
    )
    .join("\n");
  return `${config.slice(0, at)}${blocks}\n${config.slice(at)}`;
}
