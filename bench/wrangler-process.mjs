// Starting, driving and stopping `wrangler` for the benchmark.
//
// wrangler runs under the same Node as this script (process.execPath: the
// project's pinned Node 22 when started by `npm run bench`), from the local
// devDependency — the same program `npx wrangler` resolves to, without npx's
// start-up cost. `wrangler dev` gets its own process group (detached), so
// stopping it kills workerd and every other child with one signal.

import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

const require = createRequire(import.meta.url);

/** Absolute path of wrangler's CLI entry (bin/wrangler.js) in node_modules. */
export function wranglerBin() {
  const pkg = require.resolve("wrangler/package.json");
  return path.join(path.dirname(pkg), "bin", "wrangler.js");
}

/** Children we started, by pid (each the leader of its own process group). */
const live = new Set();

/** Kills every process group we started (synchronous: safe in an `exit` handler). */
export function killAllSync(signal = "SIGKILL") {
  for (const pid of live) {
    try {
      process.kill(-pid, signal);
    } catch {
      // already gone
    }
  }
}

/**
 * Runs a wrangler command to completion and returns its output.
 * @param {string[]} args
 * @param {{ cwd: string, timeoutMs?: number, env?: NodeJS.ProcessEnv }} options
 * @returns {Promise<{ code: number | null, stdout: string, stderr: string }>}
 */
export function runWrangler(args, { cwd, timeoutMs = 300_000, env }) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [wranglerBin(), ...args], {
      cwd,
      env: { ...process.env, ...quietEnv(), ...env },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    live.add(child.pid);
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d) => (stderr += d));
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        // gone
      }
      reject(new Error(`wrangler ${args.join(" ")} timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    child.on("error", (err) => {
      clearTimeout(timer);
      live.delete(child.pid);
      reject(err);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      live.delete(child.pid);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Same as runWrangler, but a non-zero exit is an error carrying the output. */
export async function runWranglerOk(args, options) {
  const r = await runWrangler(args, options);
  if (r.code !== 0) {
    throw new Error(`wrangler ${args.join(" ")} exited ${r.code}\n${tail(r.stderr || r.stdout, 3000)}`);
  }
  return r;
}

/** No telemetry prompt, no update check, no colours in the logs we parse, no Request.cf download. */
function quietEnv() {
  return { WRANGLER_SEND_METRICS: "false", NO_COLOR: "1", FORCE_COLOR: "0", CI: "1", CLOUDFLARE_CF_FETCH_ENABLED: "false" };
}

/** A free TCP port on 127.0.0.1 (bound, then released). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const address = srv.address();
      const port = typeof address === "object" && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** `wrangler --version`, e.g. "4.164.0"; "unknown" on failure. */
export async function wranglerVersion(cwd) {
  try {
    const r = await runWrangler(["--version"], { cwd, timeoutMs: 60_000 });
    const m = /(\d+\.\d+\.\d+)/.exec(r.stdout + r.stderr);
    return m ? m[1] : "unknown";
  } catch {
    return "unknown";
  }
}

/**
 * A running `wrangler dev`. Its stdout/stderr lines are kept in a ring
 * buffer (for error reports) and handed to `onLine` listeners (the sweep's
 * JSON log lines are read from there).
 */
export class WranglerDev {
  /**
   * @param {{ cwd: string, persistTo: string, port: number, adminToken: string, testScheduled?: boolean, config?: string, vars?: Record<string, string> }} options
   */
  constructor(options) {
    this.options = options;
    this.baseUrl = `http://127.0.0.1:${options.port}`;
    /** @type {string[]} */
    this.recent = [];
    /** @type {Set<(line: string) => void>} */
    this.listeners = new Set();
    /** @type {import("node:child_process").ChildProcess | undefined} */
    this.child = undefined;
    this.exited = false;
  }

  start() {
    const { cwd, persistTo, port, adminToken, testScheduled, config, vars = {} } = this.options;
    const args = [
      wranglerBin(),
      "dev",
      "--persist-to",
      persistTo,
      "--port",
      String(port),
      "--ip",
      "127.0.0.1",
      "--var",
      `ADMIN_TOKEN:${adminToken}`,
      // No inspector port: two runs must not fight over 9229.
      "--inspector-port",
      String(port + 1),
      "--show-interactive-dev-session=false",
    ];
    if (testScheduled) args.push("--test-scheduled");
    if (config) args.push("--config", config);
    // Over the config's [vars] (the shard runs set DATA_SHARDS this way).
    for (const [name, value] of Object.entries(vars)) args.push("--var", `${name}:${value}`);
    const child = spawn(process.execPath, args, {
      cwd,
      env: { ...process.env, ...quietEnv() },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    this.child = child;
    live.add(child.pid);
    const feed = (stream) => {
      let buf = "";
      stream.setEncoding("utf8");
      stream.on("data", (d) => {
        buf += d;
        let i;
        while ((i = buf.indexOf("\n")) >= 0) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 1);
          this.recent.push(line);
          if (this.recent.length > 200) this.recent.shift();
          for (const l of this.listeners) l(line);
        }
      });
    };
    feed(child.stdout);
    feed(child.stderr);
    child.on("exit", () => {
      this.exited = true;
      live.delete(child.pid);
    });
    return this;
  }

  /** @param {(line: string) => void} fn */
  onLine(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Polls GET /healthz every 250 ms until 200, wrangler exits, or timeoutMs passes. */
  async waitHealthy(timeoutMs = 90_000) {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.exited) throw new Error(`wrangler dev exited during start-up:\n${this.recent.slice(-40).join("\n")}`);
      try {
        const res = await fetch(`${this.baseUrl}/healthz`, { signal: AbortSignal.timeout(2000) });
        await res.arrayBuffer();
        if (res.status === 200) return;
      } catch {
        // not listening yet
      }
      await sleep(250);
    }
    throw new Error(`wrangler dev not healthy after ${timeoutMs} ms:\n${this.recent.slice(-40).join("\n")}`);
  }

  /** SIGTERM to the whole group, SIGKILL after graceMs if anything is left. */
  async stop(graceMs = 5000) {
    const child = this.child;
    if (!child || this.exited) return;
    try {
      process.kill(-child.pid, "SIGTERM");
    } catch {
      return;
    }
    const deadline = Date.now() + graceMs;
    while (!this.exited && Date.now() < deadline) await sleep(100);
    // The group may outlive its leader (workerd): always finish with SIGKILL.
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {
      // group gone
    }
    live.delete(child.pid);
  }
}

/** Last `max` characters of a text, for error messages. */
export function tail(text, max) {
  return text.length > max ? `…${text.slice(-max)}` : text;
}

/** True when the project looks like a checkout we can run in. */
export function looksLikeProject(cwd) {
  return existsSync(path.join(cwd, "wrangler.toml")) && existsSync(path.join(cwd, "package.json"));
}

/**
 * The bench's wrangler configuration: wrangler.toml with paths made absolute
 * (the copy lives in the persist directory) and the SCIM rate limits
 * (SCIM_RATE_LIMIT, SCIM_AUTH_FAILURE_LIMIT) raised out of reach: the bench
 * loads one tenant far past the 1,000 requests per 10 s a tenant may send.
 * The limiter still runs on every request, so its cost is measured.
 * @param {string} text wrangler.toml
 * @param {string} root the project directory
 */
export function benchWranglerConfig(text, root) {
  let out = text.replace(/^(main\s*=\s*)"([^"]+)"/m, (_, k, p) => `${k}${JSON.stringify(path.resolve(root, p))}`);
  out = out.replace(/^(migrations_dir\s*=\s*)"([^"]+)"/gm, (_, k, p) => `${k}${JSON.stringify(path.resolve(root, p))}`);
  let raised = 0;
  out = out.replace(/(name\s*=\s*"(?:SCIM_RATE_LIMIT|SCIM_AUTH_FAILURE_LIMIT)"\s*\n\s*namespace_id\s*=\s*"[^"]*"\s*\n\s*simple\s*=\s*\{\s*limit\s*=\s*)\d+/g, (_, head) => {
    raised += 1;
    return `${head}1000000000`;
  });
  if (raised < 2) throw new Error("wrangler.toml: SCIM_RATE_LIMIT / SCIM_AUTH_FAILURE_LIMIT [[ratelimits]] not found (name, namespace_id, simple on consecutive lines)");
  return out;
}
