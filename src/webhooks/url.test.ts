import { describe, expect, it } from "vitest";
import { checkWebhookUrl, isLoopbackHost, MAX_URL_LENGTH } from "./url.js";

describe("webhook URLs", () => {
  it("accepts https anywhere, normalised as fetch would send it", () => {
    expect(checkWebhookUrl("https://hooks.example.com/scim?x=1")).toEqual({ ok: true, url: "https://hooks.example.com/scim?x=1" });
    expect(checkWebhookUrl("HTTPS://Hooks.Example.COM")).toEqual({ ok: true, url: "https://hooks.example.com/" });
  });

  it("accepts http only for loopback hosts, however the address is spelt", () => {
    for (const url of ["http://localhost:3000/hook", "http://LOCALHOST/", "http://127.0.0.1:8080/", "http://127.255.1.2/", "http://127.1/", "http://0x7f.0.0.1/", "http://[::1]:9000/x", "http://[0:0:0:0:0:0:0:1]/"]) {
      expect(checkWebhookUrl(url), url).toMatchObject({ ok: true });
    }
    for (const url of ["http://example.com/", "http://128.0.0.1/", "http://10.0.0.1/", "http://localhost.example.com/", "http://[::2]/", "http://0.0.0.0/", "http://127.0.0.1.nip.io/"]) {
      expect(checkWebhookUrl(url), url).toEqual({ ok: false, reason: "must use https:// (http:// only for localhost, 127.0.0.0/8 or [::1])" });
    }
  });

  it("refuses other schemes, relative URLs, credentials, fragments and overlong URLs", () => {
    expect(checkWebhookUrl("ftp://example.com/")).toMatchObject({ ok: false });
    expect(checkWebhookUrl("javascript:alert(1)")).toMatchObject({ ok: false });
    expect(checkWebhookUrl("/hooks")).toMatchObject({ ok: false, reason: "must be an absolute https:// URL" });
    expect(checkWebhookUrl("https://user:pw@example.com/")).toEqual({ ok: false, reason: "must not contain a user name or password" });
    expect(checkWebhookUrl("https://example.com/#x")).toEqual({ ok: false, reason: "must not contain a fragment (#…)" });
    expect(checkWebhookUrl("https://example.com/#")).toMatchObject({ ok: false });
    expect(checkWebhookUrl(`https://example.com/${"a".repeat(MAX_URL_LENGTH)}`)).toMatchObject({ ok: false, reason: `must be at most ${MAX_URL_LENGTH} characters` });
  });

  it("knows the loopback names and ranges", () => {
    expect(["localhost", "127.0.0.1", "127.9.9.9", "[::1]"].every(isLoopbackHost)).toBe(true);
    expect(["::1", "1.127.0.0", "127.0.0", "localhost.", "example.com"].some(isLoopbackHost)).toBe(false);
  });
});
