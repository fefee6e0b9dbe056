import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { newWebhookSecret, openSecret, SecretsKeyMissing, SecretUnreadable, sealingKey, sealSecret } from "./secrets.js";
import { signerFor } from "./signing.js";

const KEY = "k".repeat(40);

describe("signing secrets", () => {
  it("are whsec_ + base64 of 32 random bytes (Standard Webhooks: 24 to 64 bytes)", () => {
    const a = newWebhookSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(atob(a.slice("whsec_".length))).toHaveLength(32);
    expect(newWebhookSecret()).not.toBe(a);
  });

  it("seal to ciphertext that opens only with the same key, on the same endpoint", async () => {
    const key = await sealingKey(KEY);
    const secret = newWebhookSecret();
    const sealed = await sealSecret(key, "endpoint-a", secret);
    expect(sealed).toMatch(/^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
    expect(sealed).not.toContain(secret.slice(6, 20));
    expect(await openSecret(key, "endpoint-a", sealed)).toBe(secret);
    // A fresh IV every time: sealing twice never gives the same value.
    expect(await sealSecret(key, "endpoint-a", secret)).not.toBe(sealed);
    await expect(openSecret(key, "endpoint-b", sealed)).rejects.toBeInstanceOf(SecretUnreadable);
    await expect(openSecret(await sealingKey("o".repeat(40)), "endpoint-a", sealed)).rejects.toBeInstanceOf(SecretUnreadable);
    await expect(openSecret(key, "endpoint-a", sealed.replace(/.$/, (c) => (c === "A" ? "B" : "A")))).rejects.toBeInstanceOf(SecretUnreadable);
    await expect(openSecret(key, "endpoint-a", "plain")).rejects.toBeInstanceOf(SecretUnreadable);
  });

  it("need WEBHOOK_SECRETS_KEY of at least 32 characters", async () => {
    await expect(sealingKey(undefined)).rejects.toBeInstanceOf(SecretsKeyMissing);
    await expect(sealingKey("short")).rejects.toBeInstanceOf(SecretsKeyMissing);
    await expect(sealingKey(" ".repeat(40))).rejects.toBeInstanceOf(SecretsKeyMissing);
  });
});

describe("signing with standardwebhooks inside workerd", () => {
  it("produces the three headers, and the package's own verify accepts them", () => {
    const secret = newWebhookSecret();
    const body = JSON.stringify({ id: "evt_1", type: "user.created", data: { a: "é✓" } });
    const at = new Date();
    const headers = signerFor(secret)("evt_1", body, at);
    expect(headers["webhook-id"]).toBe("evt_1");
    expect(headers["webhook-timestamp"]).toBe(String(Math.floor(at.getTime() / 1000)));
    expect(headers["webhook-signature"]).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
    expect(() => new Webhook(newWebhookSecret()).verify(body, headers)).toThrow();
    expect(() => new Webhook(secret).verify(body.replace("evt_1", "evt_2"), headers)).toThrow();
  });

  it("matches the HMAC-SHA256 of Web Crypto over `{id}.{timestamp}.{body}`", async () => {
    const secret = newWebhookSecret();
    const body = '{"x":1}';
    const headers = signerFor(secret)("evt_9", body, new Date(1_700_000_000_123));
    const key = await crypto.subtle.importKey("raw", Uint8Array.from(atob(secret.slice(6)), (c) => c.charCodeAt(0)), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(`evt_9.1700000000.${body}`)));
    expect(headers["webhook-signature"]).toBe(`v1,${btoa(String.fromCharCode(...mac))}`);
  });
});
