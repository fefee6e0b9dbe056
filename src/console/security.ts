/**
 * What every console and setup page is sent with, and the console's session.
 *
 * - Content-Security-Policy (CSP Level 3): nothing but this origin's own
 *   stylesheet and forms; no script at all (the pages need none), no
 *   framing (`frame-ancestors 'none'`, plus X-Frame-Options DENY for older
 *   browsers, RFC 7034), no <base> rewriting.
 * - Cache-Control: no-store (RFC 9111 §5.2.2.5): the pages show people's
 *   names and addresses, and a setup page a token.
 * - Referrer-Policy: no-referrer: a setup link's secret is in its path and
 *   must not leak through a Referer header when the admin follows a link out.
 * - The session cookie (RFC 6265bis): HttpOnly, SameSite=Strict, Secure
 *   except on localhost (where wrangler dev serves plain http), Path=/console,
 *   expiring with the session; a cross-site POST carries no cookie, and the
 *   Origin check below refuses one that somehow does.
 */
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../context.js";
import { log } from "../log.js";
import { consoleSessionValid } from "../storage/console-sessions.js";

export const SESSION_COOKIE = "scim_console";

const CSP = [
  "default-src 'none'",
  "style-src 'self'",
  "img-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join("; ");

export const pageHeaders = createMiddleware<AppEnv>(async (c, next) => {
  await next();
  c.res.headers.set("Content-Security-Policy", CSP);
  c.res.headers.set("X-Frame-Options", "DENY");
  c.res.headers.set("X-Content-Type-Options", "nosniff");
  c.res.headers.set("Referrer-Policy", "no-referrer");
  if (!c.res.headers.has("Cache-Control")) c.res.headers.set("Cache-Control", "no-store");
});

const isLocalhost = (c: Context<AppEnv>): boolean => ["localhost", "127.0.0.1", "[::1]"].includes(new URL(c.req.url).hostname);

export function setSessionCookie(c: Context<AppEnv>, value: string, expiresAt: number): void {
  setCookie(c, SESSION_COOKIE, value, { httpOnly: true, secure: !isLocalhost(c), sameSite: "Strict", path: "/console", expires: new Date(expiresAt) });
}

export function clearSessionCookie(c: Context<AppEnv>): void {
  deleteCookie(c, SESSION_COOKIE, { path: "/console", secure: !isLocalhost(c), httpOnly: true, sameSite: "Strict" });
}

export const sessionCookie = (c: Context<AppEnv>): string | undefined => getCookie(c, SESSION_COOKIE);

/**
 * A form POST must come from one of this site's pages. Browsers send
 * `Sec-Fetch-Site` (Fetch Metadata, W3C) with every request; "same-origin" is
 * one of our pages. Without it (an older browser, curl), the Origin header,
 * when sent, must be ours. Fetch Metadata comes first because a proxy in front
 * (wrangler dev's, Cloudflare's) may change the URL the worker sees.
 */
export function sameOrigin(c: Context<AppEnv>): boolean {
  const site = c.req.header("sec-fetch-site");
  if (site !== undefined) return site === "same-origin";
  const origin = c.req.header("origin");
  return origin === undefined || origin === new URL(c.req.url).origin;
}

/** Nothing of the console without a live session: a browser is sent to the sign-in form. */
export const requireSession = createMiddleware<AppEnv>(async (c, next) => {
  if (!(await consoleSessionValid(c.get("database").db, sessionCookie(c)))) return c.redirect("/console/sign-in", 303);
  if (c.req.method === "POST" && !sameOrigin(c)) return c.text("Cross-origin form posts are refused.", 403);
  await next();
});

/** Compares the presented token with ADMIN_TOKEN in constant time (both hashed to equal length first). */
export async function isAdminToken(expected: string, presented: string): Promise<boolean> {
  const digest = (t: string) => crypto.subtle.digest("SHA-256", new TextEncoder().encode(t));
  const [a, b] = await Promise.all([digest(presented), digest(expected)]);
  return crypto.subtle.timingSafeEqual(a, b) && presented.length > 0;
}

/** The `period` of CONSOLE_SIGN_IN_LIMIT in wrangler.toml (the binding does not expose it). */
export const SIGN_IN_PERIOD_SECONDS = 60;
const lockedUntil = new Map<string, number>();
const MAX_LOCKED = 10_000;

/** The client the sign-in budget is kept for: Cloudflare's connecting address. */
export const signInKey = (c: Context<AppEnv>): string => c.req.header("cf-connecting-ip") ?? "unknown";

/** Whether this client is locked out of sign-in now (it spent its failure budget in this period). */
export function signInLocked(key: string, now: number = Date.now()): boolean {
  const until = lockedUntil.get(key);
  if (until === undefined) return false;
  if (until > now) return true;
  lockedUntil.delete(key);
  return false;
}

/**
 * Counts a failed sign-in against CONSOLE_SIGN_IN_LIMIT (Workers Rate
 * Limiting, keyed by client address). Past the budget this isolate refuses
 * the client's attempts without checking them until the period ends, so a
 * right guess cannot be told from a wrong one. A missing or failing binding
 * throttles nothing (a limiter outage must not lock support out).
 */
export async function countSignInFailure(c: Context<AppEnv>, key: string, now: number = Date.now()): Promise<boolean> {
  const limiter = c.env.CONSOLE_SIGN_IN_LIMIT;
  if (!limiter) return false;
  try {
    if ((await limiter.limit({ key })).success) return false;
  } catch (err) {
    log("warn", { type: "rate-limit-unavailable", binding: "CONSOLE_SIGN_IN_LIMIT", error: err instanceof Error ? err.name : typeof err });
    return false;
  }
  if (lockedUntil.size >= MAX_LOCKED) lockedUntil.clear();
  lockedUntil.set(key, now + SIGN_IN_PERIOD_SECONDS * 1000);
  return true;
}
