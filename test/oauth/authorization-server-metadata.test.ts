/**
 * RFC 8414 metadata of each tenant's authorization server, and an
 * independent, standards-strict OAuth client (oauth4webapi) going through
 * discovery and the client credentials grant with both authentication
 * methods, then provisioning with the token it got.
 */
import { exports } from "cloudflare:workers";
import * as oauth from "oauth4webapi";
import { beforeAll, describe, expect, it } from "vitest";
import { call, createTenant, ORIGIN, scim } from "../support/admin-client.js";
import { createOAuthClient, type CreatedOAuthClient } from "../support/oauth.js";

let tenantId: string;
let client: CreatedOAuthClient;

beforeAll(async () => {
  tenantId = `om-${crypto.randomUUID().slice(0, 8)}`;
  await createTenant({ id: tenantId, name: "OAuth metadata" });
  client = await createOAuthClient(tenantId, { accessTokenMinutes: 120 });
});

/** oauth4webapi talks to the worker's own fetch handler, over the test origin's plain http. */
const viaWorker = {
  [oauth.customFetch]: (url: string, init: RequestInit) => exports.default.fetch(url, init),
  [oauth.allowInsecureRequests]: true,
};

describe("RFC 8414 metadata", () => {
  it("at /tenants/{id}/.well-known/oauth-authorization-server: issuer, token endpoint, grant and auth methods", async () => {
    const res = await call(`/tenants/${tenantId}/.well-known/oauth-authorization-server`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await res.json()).toEqual({
      issuer: `${ORIGIN}/tenants/${tenantId}`,
      token_endpoint: `${ORIGIN}/tenants/${tenantId}/oauth/token`,
      grant_types_supported: ["client_credentials"],
      token_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post"],
      response_types_supported: [],
      scopes_supported: ["scim"],
    });
  });

  it("the same document at the RFC 8414 §3.1 address (well-known segment before the issuer's path)", async () => {
    const a = await (await call(`/tenants/${tenantId}/.well-known/oauth-authorization-server`)).json();
    const b = await call(`/.well-known/oauth-authorization-server/tenants/${tenantId}`);
    expect(b.status).toBe(200);
    expect(await b.json()).toEqual(a);
  });

  it("the token URL the admin API returns is the metadata's token_endpoint", async () => {
    const meta = await (await call(`/tenants/${tenantId}/.well-known/oauth-authorization-server`)).json<{ token_endpoint: string }>();
    expect(client.tokenUrl).toBe(meta.token_endpoint);
  });

  it("a tenant id that cannot exist is 404", async () => {
    expect((await call(`/tenants/Not_A_Tenant/.well-known/oauth-authorization-server`)).status).toBe(404);
  });
});

describe("an independent OAuth client (oauth4webapi) discovers the server and gets tokens", () => {
  for (const [method, auth] of [
    ["client_secret_basic", () => oauth.ClientSecretBasic(client.clientSecret)],
    ["client_secret_post", () => oauth.ClientSecretPost(client.clientSecret)],
  ] as const) {
    it(`${method}: discovery (RFC 8414), token request (RFC 6749 §4.4), then SCIM with the token`, async () => {
      const issuer = new URL(`${ORIGIN}/tenants/${tenantId}`);
      const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: "oauth2", ...viaWorker }));
      expect(as.token_endpoint).toBe(client.tokenUrl);

      const oauthClient: oauth.Client = { client_id: client.clientId };
      const response = await oauth.clientCredentialsGrantRequest(as, oauthClient, auth(), new URLSearchParams({ scope: "scim" }), viaWorker);
      const result = await oauth.processClientCredentialsResponse(as, oauthClient, response);
      expect(result.token_type).toBe("bearer"); // oauth4webapi lower-cases it
      expect(result.expires_in).toBe(7200);
      expect(result.scope).toBe("scim");

      const users = await scim(tenantId, "/Users", { token: result.access_token });
      expect(users.status).toBe(200);
    });
  }

  it("and sees a wrong secret as a Basic challenge with an RFC 6749 §5.2 invalid_client body", async () => {
    const issuer = new URL(`${ORIGIN}/tenants/${tenantId}`);
    const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: "oauth2", ...viaWorker }));
    const oauthClient: oauth.Client = { client_id: client.clientId };
    const response = await oauth.clientCredentialsGrantRequest(as, oauthClient, oauth.ClientSecretBasic("scimcs_wrong"), new URLSearchParams(), viaWorker);
    const failure = await oauth.processClientCredentialsResponse(as, oauthClient, response).catch((err: unknown) => err);
    // oauth4webapi reports the WWW-Authenticate challenge first (RFC 6749 §5.2: 401 with the scheme the client used).
    expect(failure).toBeInstanceOf(oauth.WWWAuthenticateChallengeError);
    const challenge = failure as oauth.WWWAuthenticateChallengeError;
    expect(challenge.status).toBe(401);
    expect(challenge.cause).toEqual([{ scheme: "basic", parameters: { realm: "token" } }]);
    expect((await challenge.response.json<{ error: string }>()).error).toBe("invalid_client");
  });
});
