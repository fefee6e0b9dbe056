#!/usr/bin/env node
/**
 * `npm start` (README quick start): a working local SCIM endpoint in one command.
 *
 * 1. .dev.vars with a random ADMIN_TOKEN if it has none (never a built-in
 *    admin secret), printed.
 * 2. Local D1 migrations on every database of wrangler.toml — DB and each data
 *    shard of DATA_SHARDS — as `npm run db:migrate:local` does (scripts/migrate.mjs).
 * 3. `wrangler dev` on 127.0.0.1:$PORT (default 8787), waited for via /healthz.
 * 4. A `demo` tenant (created or reused) and a fresh token, printed as the
 *    Tenant URL and Secret Token an identity provider asks for.
 * Then stays in the foreground; Ctrl-C (or SIGTERM) stops wrangler and
 * every process it started. Node built-ins only.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { migrateAll } from "./migrate.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const BIN = path.join(ROOT, "node_modules", ".bin");
const DEV_VARS = path.join(ROOT, ".dev.vars");
const PORT = Number(process.env.PORT ?? 8787);
const ORIGIN = `http://127.0.0.1:${PORT}`;
const TENANT_ID = "demo";
const HEALTH_ATTEMPTS = 240; // × 250 ms: a cold wrangler start plus esbuild, with room to spare.
const WINDOWS = process.platform === "win32";

/**
 * The pinned Node (package.json "node") first on PATH, so wrangler runs on it whatever Node started us.
 * CLOUDFLARE_CF_FETCH_ENABLED=false: wrangler dev (Miniflare) uses its built-in placeholder
 * `Request.cf` instead of downloading one from workers.cloudflare.com at every start, which offline
 * printed an ENOTFOUND stack trace. The worker reads nothing from `request.cf`.
 */
const childEnv = {
  ...process.env,
  PATH: `${BIN}${path.delimiter}${process.env.PATH ?? ""}`,
  WRANGLER_SEND_METRICS: process.env.WRANGLER_SEND_METRICS ?? "false",
  CLOUDFLARE_CF_FETCH_ENABLED: process.env.CLOUDFLARE_CF_FETCH_ENABLED ?? "false",
};

const children = new Set();

function wrangler(args, options = {}) {
  const child = spawn(path.join(BIN, WINDOWS ? "wrangler.cmd" : "wrangler"), args, {
    cwd: ROOT,
    env: childEnv,
    shell: WINDOWS,
    // Own process group (POSIX): we can signal wrangler, workerd and esbuild together.
    detached: !WINDOWS,
    ...options,
  });
  children.add(child);
  child.once("exit", () => children.delete(child));
  return child;
}

function stopChildren(signal = "SIGTERM") {
  for (const child of children) {
    if (child.pid === undefined) continue;
    try {
      if (WINDOWS) child.kill(signal);
      else process.kill(-child.pid, signal);
    } catch {
      // Already gone.
    }
  }
}

let stopping = false;
async function shutdown(code) {
  if (stopping) return;
  stopping = true;
  stopChildren("SIGTERM");
  const deadline = Date.now() + 5_000;
  while (children.size > 0 && Date.now() < deadline) await delay(100);
  stopChildren("SIGKILL");
  process.exit(code);
}

process.on("SIGINT", () => void shutdown(130));
process.on("SIGTERM", () => void shutdown(143));
process.on("SIGHUP", () => void shutdown(129));
// Last resort if we die some other way: never leave wrangler behind.
process.on("exit", () => stopChildren("SIGKILL"));

function fail(message) {
  console.error(`\n✖ ${message}`);
  void shutdown(1);
}

/** Reads ADMIN_TOKEN from .dev.vars, creating the file or adding the line when missing. */
function ensureAdminToken() {
  const text = existsSync(DEV_VARS) ? readFileSync(DEV_VARS, "utf8") : "";
  const match = /^\s*ADMIN_TOKEN\s*=\s*"?([^"\r\n]*)"?\s*$/m.exec(text);
  if (match && match[1].trim() !== "") return { token: match[1].trim(), created: false };
  const token = randomBytes(32).toString("base64url");
  const rest = text.replace(/^\s*ADMIN_TOKEN\s*=.*$/m, "").trimEnd();
  const header = "# Local secrets for `wrangler dev` (git-ignored). Created by scripts/dev.mjs.\n";
  writeFileSync(DEV_VARS, `${rest ? `${rest}\n` : header}ADMIN_TOKEN="${token}"\n`, { mode: 0o600 });
  return { token, created: true };
}

/** Adds a random WEBHOOK_SECRETS_KEY to .dev.vars when it has none (docs/webhooks.md, "How secrets are stored"). */
function ensureWebhookSecretsKey() {
  const text = existsSync(DEV_VARS) ? readFileSync(DEV_VARS, "utf8") : "";
  if (/^\s*WEBHOOK_SECRETS_KEY\s*=\s*"?[^"\s]{32,}/m.test(text)) return false;
  const rest = text.replace(/^\s*WEBHOOK_SECRETS_KEY\s*=.*$/m, "").trimEnd();
  writeFileSync(DEV_VARS, `${rest ? `${rest}\n` : ""}WEBHOOK_SECRETS_KEY="${randomBytes(32).toString("base64url")}"\n`, { mode: 0o600 });
  return true;
}

async function waitForHealth(child) {
  for (let attempt = 0; attempt < HEALTH_ATTEMPTS; attempt++) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited with ${child.exitCode}`);
    try {
      const res = await fetch(`${ORIGIN}/healthz`, { signal: AbortSignal.timeout(2_000) });
      if (res.ok) return;
    } catch {
      // Not listening yet.
    }
    await delay(250);
  }
  throw new Error(`wrangler dev did not answer ${ORIGIN}/healthz`);
}

async function adminApi(adminToken, method, pathname, body) {
  const res = await fetch(`${ORIGIN}${pathname}`, {
    method,
    headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

async function main() {
  const admin = ensureAdminToken();
  if (admin.created) console.log(`Created .dev.vars with a new ADMIN_TOKEN.`);
  if (ensureWebhookSecretsKey()) console.log(`Added a WEBHOOK_SECRETS_KEY to .dev.vars.`);

  console.log("Applying local D1 migrations…");
  await migrateAll({ remote: false });

  console.log(`Starting wrangler dev on ${ORIGIN}…`);
  const dev = wrangler(["dev", "--port", String(PORT), "--ip", "127.0.0.1", "--test-scheduled", "--show-interactive-dev-session=false"], {
    stdio: ["ignore", "inherit", "inherit"],
  });
  dev.on("exit", (code, signal) => {
    if (!stopping) fail(`wrangler dev stopped (${signal ?? `exit ${code}`}).`);
  });
  await waitForHealth(dev);

  const existing = await adminApi(admin.token, "GET", `/admin/tenants/${TENANT_ID}`);
  if (existing.status === 404) {
    const created = await adminApi(admin.token, "POST", "/admin/tenants", { id: TENANT_ID, name: "Demo tenant" });
    if (created.status !== 201) throw new Error(`creating the demo tenant: ${created.status} ${JSON.stringify(created.body)}`);
  } else if (existing.status !== 200) {
    throw new Error(`reading the demo tenant: ${existing.status} ${JSON.stringify(existing.body)}`);
  }
  const issued = await adminApi(admin.token, "POST", `/admin/tenants/${TENANT_ID}/tokens`, { label: `npm start ${new Date().toISOString()}` });
  if (issued.status !== 201) throw new Error(`issuing a token: ${issued.status} ${JSON.stringify(issued.body)}`);

  const tenantUrl = `${ORIGIN}/tenants/${TENANT_ID}/scim/v2`;
  const token = issued.body.token;
  console.log(`
────────────────────────────────────────────────────────────────────────
 scim-edge is running.

 Tenant URL    ${tenantUrl}
 Secret Token  ${token}

 Admin token   ${admin.token}   (from .dev.vars)

 Try it:
   curl -H "Authorization: Bearer ${token}" "${tenantUrl}/Users?filter=userName%20eq%20%22nobody%40example.com%22"

 Ctrl-C stops everything.
────────────────────────────────────────────────────────────────────────
`);
}

main().catch((err) => fail(err instanceof Error ? err.message : String(err)));
