/**
 * Endpoint signing secrets: made, sealed for D1, opened for signing.
 *
 * A secret is 32 random bytes, shown once as `whsec_<base64>` (Standard
 * Webhooks, "Signature scheme": symmetric secrets are random, 24 to 64
 * bytes, base64 with the `whsec_` prefix). It signs with HMAC-SHA256, so the
 * worker must be able to read it back: unlike tokens and OAuth client
 * secrets, it cannot be kept as a hash.
 *
 * So it is sealed (docs/webhooks.md, "How secrets are stored"): AES-256-GCM
 * with a key derived (HKDF-SHA256, RFC 5869) from the Worker secret
 * WEBHOOK_SECRETS_KEY, a fresh 96-bit IV per seal (NIST SP 800-38D §8.2.2),
 * and the endpoint id as additional authenticated data, so a sealed value
 * opens only on its own row. D1 — its exports, Time Travel, backups and
 * anyone with read access — holds only ciphertext; the key lives in the
 * Workers secret store, which nobody can read back (not even `wrangler`).
 * Stored form: `v1.<base64url IV>.<base64url ciphertext and tag>`.
 *
 * Neither a secret nor the key is ever logged or returned after creation.
 */

export const WEBHOOK_SECRET_PREFIX = "whsec_";
const SECRET_BYTES = 32;
const IV_BYTES = 12;
/** WEBHOOK_SECRETS_KEY must carry at least this many characters (`openssl rand -base64 32` gives 44). */
export const MIN_KEY_LENGTH = 32;
const SEALED_VERSION = "v1";
// Domain separation (RFC 5869 §3.1, §3.2): this key is for sealing webhook secrets and nothing else.
const HKDF_SALT = new TextEncoder().encode("scim-edge webhook secrets");
const HKDF_INFO = new TextEncoder().encode("aes-256-gcm v1");

/** WEBHOOK_SECRETS_KEY is unset or too short: no secret can be sealed or opened. */
export class SecretsKeyMissing extends Error {
  constructor() {
    super(`WEBHOOK_SECRETS_KEY is not set (a Worker secret of at least ${MIN_KEY_LENGTH} characters; docs/webhooks.md).`);
  }
}

/** A sealed value that does not open with this key for this endpoint (another key, another row, or altered). */
export class SecretUnreadable extends Error {}

function base64(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

const toBase64url = (bytes: Uint8Array) => base64(bytes).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

function fromBase64url(text: string): Uint8Array {
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

/** A new signing secret, `whsec_` + base64 of 32 random bytes. */
export function newWebhookSecret(): string {
  const raw = new Uint8Array(SECRET_BYTES);
  crypto.getRandomValues(raw);
  return WEBHOOK_SECRET_PREFIX + base64(raw);
}

/** The sealing key from WEBHOOK_SECRETS_KEY; throws SecretsKeyMissing when it is unset or short. */
export async function sealingKey(material: string | undefined): Promise<CryptoKey> {
  if (material === undefined || material.trim().length < MIN_KEY_LENGTH) throw new SecretsKeyMissing();
  const base = await crypto.subtle.importKey("raw", new TextEncoder().encode(material.trim()), "HKDF", false, ["deriveKey"]);
  return crypto.subtle.deriveKey({ name: "HKDF", hash: "SHA-256", salt: HKDF_SALT, info: HKDF_INFO }, base, { name: "AES-GCM", length: 256 }, false, [
    "encrypt",
    "decrypt",
  ]);
}

export async function sealSecret(key: CryptoKey, endpointId: string, secret: string): Promise<string> {
  const iv = new Uint8Array(IV_BYTES);
  crypto.getRandomValues(iv);
  const sealed = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: new TextEncoder().encode(endpointId) },
    key,
    new TextEncoder().encode(secret),
  );
  return `${SEALED_VERSION}.${toBase64url(iv)}.${toBase64url(new Uint8Array(sealed))}`;
}

export async function openSecret(key: CryptoKey, endpointId: string, sealed: string): Promise<string> {
  const [version, iv, data] = sealed.split(".");
  if (version !== SEALED_VERSION || iv === undefined || data === undefined) throw new SecretUnreadable("unknown sealed format");
  try {
    const plain = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: fromBase64url(iv), additionalData: new TextEncoder().encode(endpointId) },
      key,
      fromBase64url(data),
    );
    return new TextDecoder().decode(plain);
  } catch {
    // Never the cause: nothing about the key or the value belongs in a log line.
    throw new SecretUnreadable("the sealed secret does not open with WEBHOOK_SECRETS_KEY");
  }
}
