#!/usr/bin/env node
/**
 * `npm run db:migrate:local` / `npm run db:migrate:remote` (README, "Deploy
 * to Cloudflare"; docs/sharding.md, "Migrations"): applies migrations/ to
 * every D1 database the worker uses, with one command.
 *
 *   node scripts/migrate.mjs --local  [--env NAME] [--config FILE] [--persist-to DIR] [--dry-run]
 *   node scripts/migrate.mjs --remote [--env NAME] [--config FILE] [--dry-run]
 *
 * Which databases: `DB` (the control database), then each binding of
 * DATA_SHARDS in its order, then any other `[[d1_databases]]` binding that
 * has a `migrations_dir` (a shard declared but not listed yet), all read
 * from wrangler.toml for the chosen environment (`[vars]` and
 * `[[d1_databases]]` at the top level; `[env.NAME.vars]` and
 * `[[env.NAME.d1_databases]]` with --env: wrangler does not inherit either).
 * With the default configuration that is `DB` alone, as before. Each runs
 * `wrangler d1 migrations apply <binding> --local|--remote …`; the first
 * failure stops the run (applying again is safe: wrangler skips what
 * d1_migrations already lists).
 *
 * Node built-ins only: the project has no TOML parser, and this reads the
 * few keys it needs with a purpose-built reader (tables, arrays of tables,
 * string values; everything else is skipped).
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const CONTROL_BINDING = "DB";

/** A TOML string value: "basic" (with the escapes wrangler.toml may use) or 'literal'. */
function tomlString(raw) {
  const text = raw.trim();
  if (text.startsWith("'")) {
    const end = text.indexOf("'", 1);
    return end > 0 ? text.slice(1, end) : undefined;
  }
  if (!text.startsWith('"')) return undefined;
  let out = "";
  for (let i = 1; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"') return out;
    if (ch === "\\") {
      const next = text[++i];
      const escapes = { n: "\n", t: "\t", r: "\r", '"': '"', "\\": "\\" };
      out += escapes[next] ?? next;
    } else out += ch;
  }
  return undefined;
}

/**
 * The string keys of each table of a TOML text, in order: `{ table, keys }`
 * per `[table]` or `[[table]]` header (the top level is table ""). Quoted
 * keys and header names are unquoted; multi-line values are not needed here.
 */
export function tomlTables(text) {
  const tables = [{ table: "", array: false, keys: {} }];
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (line === "" || line.startsWith("#")) continue;
    const header = /^\[(\[)?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$/.exec(line);
    if (header) {
      const table = header[2].split(".").map((part) => part.trim().replace(/^"(.*)"$/, "$1")).join(".");
      tables.push({ table, array: header[1] === "[", keys: {} });
      continue;
    }
    const pair = /^("?)([A-Za-z0-9_-]+)\1\s*=\s*(.*)$/.exec(line);
    if (!pair) continue;
    const value = tomlString(pair[3]);
    if (value !== undefined) tables[tables.length - 1].keys[pair[2]] = value;
  }
  return tables;
}

/**
 * The bindings to migrate for an environment (undefined: the top level),
 * in order, or an Error saying what is wrong with the configuration.
 */
export function migrationPlan(text, env) {
  const prefix = env ? `env.${env}.` : "";
  const tables = tomlTables(text);
  if (env && !tables.some((t) => t.table === `env.${env}` || t.table.startsWith(`env.${env}.`))) {
    return new Error(`wrangler.toml has no [env.${env}].`);
  }
  const vars = Object.assign({}, ...tables.filter((t) => t.table === `${prefix}vars`).map((t) => t.keys));
  const databases = tables.filter((t) => t.array && t.table === `${prefix}d1_databases` && t.keys.binding);
  const declared = new Map(databases.map((t) => [t.keys.binding, t.keys]));
  const shards = (vars.DATA_SHARDS ?? CONTROL_BINDING)
    .split(",")
    .map((name) => name.trim())
    .filter((name) => name.length > 0);
  const where = env ? `[[env.${env}.d1_databases]]` : "[[d1_databases]]";
  const missing = [...new Set([CONTROL_BINDING, ...shards])].filter((name) => !declared.has(name));
  if (missing.length > 0) {
    return new Error(`wrangler.toml declares no ${where} binding named ${missing.join(", ")} (the control database DB and every name in DATA_SHARDS need one).`);
  }
  const prepared = [...declared.entries()].filter(([, keys]) => keys.migrations_dir !== undefined).map(([name]) => name);
  const plan = [...new Set([CONTROL_BINDING, ...shards, ...prepared])];
  // Two bindings with one database_id are one database (locally too: wrangler keys it by the id),
  // so two "shards" would hold each other's data and a tenant move would purge what it copied.
  const byId = new Map();
  for (const name of plan) {
    const id = declared.get(name).database_id;
    if (id === undefined) continue;
    if (byId.has(id)) return new Error(`${byId.get(id)} and ${name} have the same database_id in ${where}: each shard needs its own database.`);
    byId.set(id, name);
  }
  return plan;
}

/** The wrangler arguments of each binding's migration. */
export function migrationCommands(bindings, { remote, env, config, persistTo }) {
  return bindings.map((binding) => [
    "d1",
    "migrations",
    "apply",
    binding,
    remote ? "--remote" : "--local",
    ...(env ? ["--env", env] : []),
    ...(config ? ["--config", config] : []),
    ...(persistTo && !remote ? ["--persist-to", persistTo] : []),
  ]);
}

function wranglerBin() {
  const require = createRequire(import.meta.url);
  return path.join(path.dirname(require.resolve("wrangler/package.json")), "bin", "wrangler.js");
}

/** Runs one wrangler command with the terminal attached (a remote migration asks before it applies). */
function runWrangler(args, { remote }) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [wranglerBin(), ...args], {
      cwd: ROOT,
      stdio: "inherit",
      // Local: nothing worth confirming (CI=true: wrangler asks no question). Remote: the operator's own terminal decides.
      env: { ...process.env, WRANGLER_SEND_METRICS: process.env.WRANGLER_SEND_METRICS ?? "false", ...(remote ? {} : { CI: "true" }) },
    });
    child.on("error", reject);
    child.on("exit", (code, signal) => (code === 0 ? resolve() : reject(new Error(`wrangler ${args.join(" ")} ${signal ? `stopped by ${signal}` : `exited with ${code}`}`))));
  });
}

/**
 * Migrates every database of the plan, one after the other. `options`:
 * remote (boolean), env, config (path of a wrangler config; default
 * ./wrangler.toml), persistTo (local only), dryRun, say (progress lines).
 */
export async function migrateAll(options = {}) {
  const { remote = false, env, config, persistTo, dryRun = false, say = (line) => console.log(line) } = options;
  // A path given on the command line is the caller's (relative to where they are); wrangler runs in ROOT.
  const configPath = config === undefined ? path.join(ROOT, "wrangler.toml") : path.resolve(config);
  const plan = migrationPlan(readFileSync(configPath, "utf8"), env);
  if (plan instanceof Error) throw plan;
  const commands = migrationCommands(plan, { remote, env, config: config === undefined ? undefined : configPath, persistTo: persistTo && path.resolve(persistTo) });
  say(`Migrating ${plan.length} D1 database${plan.length === 1 ? "" : "s"} (${remote ? "remote" : "local"}${env ? `, env ${env}` : ""}): ${plan.join(", ")}`);
  for (const [i, args] of commands.entries()) {
    if (dryRun) {
      say(`wrangler ${args.join(" ")}`);
      continue;
    }
    try {
      await runWrangler(args, { remote });
    } catch (err) {
      const done = plan.slice(0, i);
      throw new Error(`${err.message}\n${plan[i]} is not migrated${done.length ? ` (${done.join(", ")} ${done.length === 1 ? "is" : "are"})` : ""}; fix the cause and run this again: wrangler skips the migrations a database already has.`, { cause: err });
    }
  }
  return plan;
}

function parseArgs(argv) {
  const options = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined || v.startsWith("--")) throw new Error(`${arg} needs a value.`);
      return v;
    };
    if (arg === "--local") options.mode = options.mode === "remote" ? "both" : "local";
    else if (arg === "--remote") options.mode = options.mode === "local" ? "both" : "remote";
    else if (arg === "--env") options.env = value();
    else if (arg === "--config") options.config = value();
    else if (arg === "--persist-to") options.persistTo = value();
    else if (arg === "--dry-run") options.dryRun = true;
    else throw new Error(`Unknown argument ${arg}.`);
  }
  if (options.mode !== "local" && options.mode !== "remote") throw new Error("Say --local or --remote (one of them).");
  if (options.persistTo && options.mode === "remote") throw new Error("--persist-to is for --local only.");
  return { ...options, remote: options.mode === "remote" };
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  let options;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (err) {
    console.error(`✖ ${err.message}\nUsage: node scripts/migrate.mjs --local|--remote [--env NAME] [--config FILE] [--persist-to DIR] [--dry-run]`);
    process.exit(2);
  }
  try {
    await migrateAll(options);
  } catch (err) {
    console.error(`✖ ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
}
