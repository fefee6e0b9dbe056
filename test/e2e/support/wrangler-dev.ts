/**
 * Starts the worker with the plain wrangler commands a fresh clone must
 * support without `npm start`: migrations applied with
 * `wrangler d1 migrations apply DB --local --persist-to DIR`, then
 * `wrangler dev --persist-to DIR --port PORT --var ADMIN_TOKEN:SECRET --var WEBHOOK_SECRETS_KEY:KEY --test-scheduled`.
 * With `config` (a generated wrangler config, e.g. three shards:
 * ./sharded-config.ts), every database of it is migrated with the project's
 * own `node scripts/migrate.mjs --local --config FILE --persist-to DIR`
 * (what `npm run db:migrate:local` runs), and `wrangler dev --config FILE`.
 * For the "e2e" vitest project (plain Node); it lives under test/e2e/ because
 * tsconfig.node.json (Node types) covers test/e2e/ and tsconfig.json (workerd
 * types) covers the rest of test/.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as delay } from "node:timers/promises";

const ROOT = path.resolve(import.meta.dirname, "../../..");
const BIN = path.join(ROOT, "node_modules", ".bin");

export interface WranglerDev {
  /** http://127.0.0.1:PORT */
  origin: string;
  adminToken: string;
  persistTo: string;
  /** wrangler's stdout and stderr so far, for failure messages. */
  output(): string;
  /** Stops wrangler and every process it started; removes the persist dir if this helper made it. */
  stop(): Promise<void>;
}

export interface StartOptions {
  persistTo?: string;
  adminToken?: string;
  /** Attempts of GET /healthz, 250 ms apart: bounded, never a fixed sleep before the first request. */
  healthAttempts?: number;
  /** A wrangler config file in place of the project's wrangler.toml (absolute `main` and `migrations_dir`). */
  config?: string;
}

/** The child's environment: the pinned Node first on PATH (package.json "node"), no prompts, no telemetry. */
function childEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    PATH: `${BIN}${path.delimiter}${process.env["PATH"] ?? ""}`,
    CI: "true",
    WRANGLER_SEND_METRICS: "false",
    // Miniflare's placeholder Request.cf, not a download from workers.cloudflare.com (offline: a stack trace).
    CLOUDFLARE_CF_FETCH_ENABLED: "false",
    NO_COLOR: "1",
  };
}

function run(args: string[], command = path.join(BIN, "wrangler")): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, env: childEnv(), stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve(out) : reject(new Error(`${path.basename(command)} ${args.join(" ")} exited ${code}:\n${out}`))));
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once("exit", () => resolve());
  });
}

/** Signals wrangler's whole process group (it was started detached): workerd and esbuild go too. */
function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

export async function startWranglerDev(options: StartOptions = {}): Promise<WranglerDev> {
  const ownDir = options.persistTo === undefined;
  const persistTo = options.persistTo ?? (await mkdtemp(path.join(tmpdir(), "scim-edge-e2e-")));
  const adminToken = options.adminToken ?? randomBytes(24).toString("base64url");
  if (options.config === undefined) await run(["d1", "migrations", "apply", "DB", "--local", "--persist-to", persistTo]);
  else await run([path.join(ROOT, "scripts", "migrate.mjs"), "--local", "--config", options.config, "--persist-to", persistTo], process.execPath);

  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const args = ["dev", "--persist-to", persistTo, "--port", String(port), "--ip", "127.0.0.1", "--var", `ADMIN_TOKEN:${adminToken}`, "--var", `WEBHOOK_SECRETS_KEY:${randomBytes(32).toString("base64url")}`, "--test-scheduled"];
  if (options.config !== undefined) args.push("--config", options.config);
  const child = spawn(path.join(BIN, "wrangler"), args, { cwd: ROOT, env: childEnv(), stdio: ["ignore", "pipe", "pipe"], detached: true });
  let log = "";
  child.stdout?.on("data", (d: Buffer) => (log += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (log += d.toString()));

  const stop = async (): Promise<void> => {
    signalGroup(child, "SIGTERM");
    const done = exited(child);
    const timer = setTimeout(() => signalGroup(child, "SIGKILL"), 5_000);
    await done;
    clearTimeout(timer);
    // workerd may outlive wrangler by a moment; make sure the group is gone.
    signalGroup(child, "SIGKILL");
    if (ownDir) await rm(persistTo, { recursive: true, force: true });
  };

  const attempts = options.healthAttempts ?? 240;
  for (let attempt = 0; ; attempt++) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited ${child.exitCode} before answering:\n${log}`);
    try {
      const res = await fetch(`${origin}/healthz`, { signal: AbortSignal.timeout(2_000) });
      if (res.ok) break;
    } catch {
      // Not listening yet.
    }
    if (attempt + 1 >= attempts) {
      await stop();
      throw new Error(`wrangler dev did not answer /healthz after ${attempts} attempts:\n${log}`);
    }
    await delay(250);
  }
  return { origin, adminToken, persistTo, output: () => log, stop };
}

/** An admin API request to a running `wrangler dev`, with its admin token; a body is sent as JSON. */
export function adminRequest(worker: { origin: string; adminToken: string }, method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${worker.origin}${path}`, {
    method,
    headers: { authorization: `Bearer ${worker.adminToken}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}
