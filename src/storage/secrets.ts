/**
 * The secrets of console sessions and setup links: `<id>.<secret>`, the
 * secret 256 random bits (base64url), kept only as its SHA-256 and checked
 * in constant time (crypto.subtle.timingSafeEqual, a Workers extension of
 * Web Crypto), so neither the stored value nor the timing of a comparison
 * reveals a usable secret.
 */
import { base64url, sha256Hex } from "./tokens.js";

const SECRET_BYTES = 32;

export interface NewSecret {
  /** What the holder presents: `<id>.<secret>`. */
  presented: string;
  secretHash: string;
}

export async function newSecret(id: string): Promise<NewSecret> {
  const raw = new Uint8Array(SECRET_BYTES);
  crypto.getRandomValues(raw);
  const secret = base64url(raw);
  return { presented: `${id}.${secret}`, secretHash: await sha256Hex(secret) };
}

/** `<id>.<secret>` split, or undefined for anything else (bounded lengths: never hash megabytes). */
export function splitPresented(presented: string | undefined): { id: string; secret: string } | undefined {
  if (!presented || presented.length > 200) return undefined;
  const m = /^([0-9a-f-]{36})\.([A-Za-z0-9_-]{43})$/.exec(presented);
  return m ? { id: m[1] as string, secret: m[2] as string } : undefined;
}

/** Whether sha256(secret) equals `storedHash` (hex), compared in constant time. */
export async function secretMatches(secret: string, storedHash: string): Promise<boolean> {
  const enc = new TextEncoder();
  const a = enc.encode(await sha256Hex(secret));
  const b = enc.encode(storedHash);
  return a.byteLength === b.byteLength && crypto.subtle.timingSafeEqual(a, b);
}
