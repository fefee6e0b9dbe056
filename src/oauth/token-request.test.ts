import { describe, expect, it } from "vitest";
import { OAuthError, safeDescription } from "./errors.js";
import { parseTokenRequest, type RawTokenRequest } from "./token-request.js";

const FORM = "application/x-www-form-urlencoded";
const basic = (user: string, password: string) => `Basic ${btoa(`${user}:${password}`)}`;

function failure(raw: RawTokenRequest): OAuthError {
  try {
    parseTokenRequest(raw);
  } catch (err) {
    if (err instanceof OAuthError) return err;
    throw err;
  }
  throw new Error("expected an OAuthError");
}

describe("parseTokenRequest: client authentication (RFC 6749 §2.3.1)", () => {
  it("client_secret_basic: id and secret are form-decoded after base64 (':' as %3A, space as +)", () => {
    const r = parseTokenRequest({ contentType: FORM, authorization: basic("my%3Aclient", "s+cr%25t"), body: "grant_type=client_credentials" });
    expect(r).toEqual({ clientId: "my:client", clientSecret: "s cr%t", authMethod: "client_secret_basic", scope: "scim" });
  });

  it("client_secret_post, with a charset on the content type and unknown parameters ignored", () => {
    const r = parseTokenRequest({
      contentType: "Application/X-WWW-Form-URLEncoded; charset=UTF-8",
      authorization: undefined,
      body: "grant_type=client_credentials&client_id=c1&client_secret=s1&resource=x&resource=y",
    });
    expect(r).toEqual({ clientId: "c1", clientSecret: "s1", authMethod: "client_secret_post", scope: "scim" });
  });

  it("an empty Authorization header is no header", () => {
    const r = parseTokenRequest({ contentType: FORM, authorization: "  ", body: "grant_type=client_credentials&client_id=c&client_secret=s" });
    expect(r.authMethod).toBe("client_secret_post");
  });

  it("a secret or id over 256 characters is invalid_client before any lookup", () => {
    expect(failure({ contentType: FORM, authorization: basic("c", "s".repeat(257)), body: "grant_type=client_credentials" }).code).toBe("invalid_client");
  });
});

describe("parseTokenRequest: the order of the checks", () => {
  it("content type, then grant type, then client authentication, then scope", () => {
    // Everything wrong: the content type is reported.
    expect(failure({ contentType: "text/plain", authorization: "Bearer x", body: "grant_type=password&scope=x" }).code).toBe("invalid_request");
    expect(failure({ contentType: FORM, authorization: "Bearer x", body: "grant_type=password&scope=x" }).code).toBe("unsupported_grant_type");
    expect(failure({ contentType: FORM, authorization: "Bearer x", body: "grant_type=client_credentials&scope=x" }).code).toBe("invalid_client");
    expect(failure({ contentType: FORM, authorization: basic("c", "s"), body: "grant_type=client_credentials&scope=x" }).code).toBe("invalid_scope");
  });

  it("invalid_client is 401 with a Basic challenge; the others are 400 without one", () => {
    const client = failure({ contentType: FORM, authorization: undefined, body: "grant_type=client_credentials" });
    expect([client.status, client.headers]).toEqual([401, { "WWW-Authenticate": 'Basic realm="token"' }]);
    const request = failure({ contentType: FORM, authorization: undefined, body: "" });
    expect([request.code, request.status, request.headers]).toEqual(["invalid_request", 400, {}]);
  });
});

describe("safeDescription (RFC 6749 §5.2 error_description charset)", () => {
  it('replaces characters outside %x20-21 / %x23-5B / %x5D-7E, such as quotes, backslashes, newlines and non-ASCII', () => {
    expect(safeDescription('a "b" \\ c\nd é')).toBe("a ?b? ? c?d ?");
    expect(new OAuthError("invalid_scope", 'Unknown scope "x"').message).toBe("Unknown scope ?x?");
  });
});
