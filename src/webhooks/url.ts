/**
 * Which URLs a webhook endpoint may have (POST /admin/webhooks). Pure.
 *
 * - `https:` anywhere: the payloads carry users' personal data, and the
 *   Standard Webhooks specification ("Enforcing HTTPS") advises HTTPS so
 *   they cannot be read on the way; the signature protects integrity only.
 * - `http:` only for a loopback host — `localhost`, 127.0.0.0/8 (RFC 1122
 *   §3.2.1.3) or `[::1]` (RFC 4291 §2.5.3) — for a receiver on the
 *   developer's own machine under `wrangler dev`. Such traffic never leaves
 *   the machine; in production there is nothing listening there.
 * - No user name or password in the URL (RFC 3986 §3.2.1 deprecates them):
 *   credentials would sit in the endpoint listing, which is not a secret.
 * - No fragment (a client never sends it, RFC 3986 §3.5), at most
 *   MAX_URL_LENGTH characters.
 *
 * The WHATWG URL parser (the one fetch uses) normalises the host first, so
 * `http://127.1/`, `http://0x7f.0.0.1/` and `http://LOCALHOST/` are judged as
 * the address fetch would connect to.
 */

export const MAX_URL_LENGTH = 2048;

export type UrlVerdict = { ok: true; url: string } | { ok: false; reason: string };

/** Whether a parsed URL's hostname is a loopback address or name. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  if (host === "localhost") return true;
  if (host === "[::1]") return true;
  // The parser has already turned every IPv4 spelling into dotted decimal.
  const v4 = host.match(/^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/);
  return v4 !== null && v4[1] === "127";
}

export function checkWebhookUrl(input: string): UrlVerdict {
  if (input.length > MAX_URL_LENGTH) return { ok: false, reason: `must be at most ${MAX_URL_LENGTH} characters` };
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    return { ok: false, reason: "must be an absolute https:// URL" };
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return { ok: false, reason: "must be an absolute https:// URL" };
  if (url.protocol === "http:" && !isLoopbackHost(url.hostname)) {
    return { ok: false, reason: "must use https:// (http:// only for localhost, 127.0.0.0/8 or [::1])" };
  }
  if (url.username !== "" || url.password !== "") return { ok: false, reason: "must not contain a user name or password" };
  if (url.hash !== "" || input.includes("#")) return { ok: false, reason: "must not contain a fragment (#…)" };
  return { ok: true, url: url.href };
}
