/**
 * Every way a token request fails, each exactly as RFC 6749 §5.2 says: the
 * error code, the status (401 + `WWW-Authenticate: Basic` for
 * invalid_client), a JSON body of `error` and `error_description` only, and
 * `Cache-Control: no-store`. Plus the per-client limit on token requests.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { admin, call, createTenant } from "../support/admin-client.js";
import { basicAuthorization, createOAuthClient, expectOAuthError, tokenRequest, type CreatedOAuthClient } from "../support/oauth.js";

let tenantId: string;
let client: CreatedOAuthClient;

beforeAll(async () => {
  tenantId = `oe-${crypto.randomUUID().slice(0, 8)}`;
  await createTenant({ id: tenantId, name: "OAuth errors" });
  client = await createOAuthClient(tenantId);
});

const basic = () => ({ clientId: client.clientId, clientSecret: client.clientSecret });

describe("invalid_request (400)", () => {
  it("a body that is not form-encoded (JSON)", async () => {
    const res = await tokenRequest(tenantId, {
      basic: basic(),
      form: JSON.stringify({ grant_type: "client_credentials" }),
      headers: { "content-type": "application/json" },
    });
    const body = await expectOAuthError(res, 400, "invalid_request");
    expect(body.error_description).toContain("application/x-www-form-urlencoded");
  });

  it("no Content-Type at all", async () => {
    const res = await call(`/tenants/${tenantId}/oauth/token`, {
      method: "POST",
      headers: { authorization: basicAuthorization(client.clientId, client.clientSecret) },
      body: new TextEncoder().encode("grant_type=client_credentials"),
    });
    await expectOAuthError(res, 400, "invalid_request");
  });

  it("grant_type missing, or sent empty (RFC 6749 §3.1: an empty parameter is an omitted one)", async () => {
    for (const form of ["", "grant_type=", "scope=scim"]) {
      const body = await expectOAuthError(await tokenRequest(tenantId, { basic: basic(), form }), 400, "invalid_request");
      expect(body.error_description).toContain("grant_type");
    }
  });

  it("a parameter included twice (RFC 6749 §3.2)", async () => {
    for (const form of ["grant_type=client_credentials&grant_type=client_credentials", "grant_type=client_credentials&scope=scim&scope=scim"]) {
      await expectOAuthError(await tokenRequest(tenantId, { basic: basic(), form }), 400, "invalid_request");
    }
    const twice = `grant_type=client_credentials&client_id=${client.clientId}&client_id=${client.clientId}&client_secret=${client.clientSecret}`;
    await expectOAuthError(await tokenRequest(tenantId, { form: twice }), 400, "invalid_request");
  });

  it("two client authentication methods at once: HTTP Basic and client_secret in the body (RFC 6749 §2.3)", async () => {
    const res = await tokenRequest(tenantId, { basic: basic(), form: { client_id: client.clientId, client_secret: client.clientSecret } });
    await expectOAuthError(res, 400, "invalid_request");
  });

  it("a body client_id that is not the Basic client id", async () => {
    const res = await tokenRequest(tenantId, { basic: basic(), form: { client_id: crypto.randomUUID() } });
    await expectOAuthError(res, 400, "invalid_request");
  });

  it("a body over 8 KiB", async () => {
    const res = await tokenRequest(tenantId, { basic: basic(), form: { padding: "x".repeat(9000) } });
    await expectOAuthError(res, 400, "invalid_request");
  });
});

describe("unsupported_grant_type (400)", () => {
  it("any grant type but client_credentials", async () => {
    for (const grant of ["password", "authorization_code", "refresh_token", "urn:ietf:params:oauth:grant-type:jwt-bearer", "Client_Credentials"]) {
      const res = await tokenRequest(tenantId, { basic: basic(), form: { grant_type: grant } });
      await expectOAuthError(res, 400, "unsupported_grant_type");
    }
  });
});

describe("invalid_scope (400)", () => {
  it("a scope other than scim, scim with another, or a malformed scope", async () => {
    for (const scope of ["openid", "scim admin", "SCIM", "scim  scim", " scim", 'sc"im']) {
      const res = await tokenRequest(tenantId, { basic: basic(), form: { scope } });
      await expectOAuthError(res, 400, "invalid_scope");
    }
  });

  it("scim, scim repeated, or no scope at all are granted scim", async () => {
    // A client of its own: successful requests count towards the per-client limit too.
    const own = await createOAuthClient(tenantId);
    for (const form of [{ scope: "scim" }, { scope: "scim scim" }, { scope: "" }, {}] as Array<Record<string, string>>) {
      const res = await tokenRequest(tenantId, { basic: { clientId: own.clientId, clientSecret: own.clientSecret }, form });
      expect(res.status).toBe(200);
      expect((await res.json<{ scope: string }>()).scope).toBe("scim");
    }
  });
});

describe("invalid_client (401 with WWW-Authenticate: Basic)", () => {
  async function expectInvalidClient(res: Response): Promise<void> {
    const body = await expectOAuthError(res, 401, "invalid_client");
    expect(res.headers.get("www-authenticate")).toBe('Basic realm="token"');
    // One answer for every cause: nothing says whether the client, the secret or the tenant was wrong.
    expect(body.error_description).not.toMatch(/unknown|not found|wrong secret|tenant/i);
  }

  it("a wrong secret, by HTTP Basic", async () => {
    await expectInvalidClient(await tokenRequest(tenantId, { basic: { clientId: client.clientId, clientSecret: `${client.clientSecret}x` } }));
  });

  it("a wrong secret, in the body (client_secret_post)", async () => {
    await expectInvalidClient(await tokenRequest(tenantId, { form: { client_id: client.clientId, client_secret: "scimcs_wrong" } }));
  });

  it("an unknown client id, by either method", async () => {
    const unknown = crypto.randomUUID();
    await expectInvalidClient(await tokenRequest(tenantId, { basic: { clientId: unknown, clientSecret: client.clientSecret } }));
    await expectInvalidClient(await tokenRequest(tenantId, { form: { client_id: unknown, client_secret: client.clientSecret } }));
  });

  it("no client authentication, or client_id alone (a public client cannot use this grant, RFC 6749 §4.4)", async () => {
    await expectInvalidClient(await tokenRequest(tenantId));
    await expectInvalidClient(await tokenRequest(tenantId, { form: { client_id: client.clientId } }));
    await expectInvalidClient(await tokenRequest(tenantId, { form: { client_secret: client.clientSecret } }));
  });

  it("an Authorization header that is not usable Basic credentials", async () => {
    for (const authorization of [
      `Bearer ${client.clientSecret}`,
      "Basic !!!not-base64!!!",
      `Basic ${btoa(client.clientId)}`, // no colon, no secret
      `Basic ${btoa(`${client.clientId}:`)}`, // empty secret
      `Basic ${btoa(`:${client.clientSecret}`)}`, // empty id
      `Basic ${btoa(`${client.clientId}:%zz`)}`, // not form-decodable
    ]) {
      await expectInvalidClient(await tokenRequest(tenantId, { headers: { authorization } }));
    }
  });

  it("the client's credentials on a tenant that does not exist, cannot exist, or was deleted", async () => {
    await expectInvalidClient(await tokenRequest("no-such-tenant", { basic: basic() }));
    await expectInvalidClient(await tokenRequest("Not_A_Tenant", { basic: basic() }));
    const doomed = `od-${crypto.randomUUID().slice(0, 8)}`;
    await createTenant({ id: doomed, name: "doomed" });
    const c = await createOAuthClient(doomed);
    expect((await admin("DELETE", `/admin/tenants/${doomed}`)).status).toBe(204);
    await expectInvalidClient(await tokenRequest(doomed, { basic: { clientId: c.clientId, clientSecret: c.clientSecret } }));
  });

  it("the right credentials still work afterwards (failures of other clients do not count against this one)", async () => {
    expect((await tokenRequest(tenantId, { basic: basic() })).status).toBe(200);
  });
});

describe("the token endpoint takes POST only", () => {
  it("GET and PUT are 405 with Allow: POST and an invalid_request body", async () => {
    for (const method of ["GET", "PUT"]) {
      const res = await tokenRequest(tenantId, { method, basic: basic() });
      expect(res.status).toBe(405);
      expect(res.headers.get("allow")).toBe("POST");
      expect(res.headers.get("cache-control")).toBe("no-store");
      expect((await res.json<{ error: string }>()).error).toBe("invalid_request");
    }
  });

  it("other paths under /oauth are a JSON 404, not a SCIM error", async () => {
    const res = await call(`/tenants/${tenantId}/oauth/authorize`);
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  });
});

describe("failures are limited per client", () => {
  /** The local limiter (miniflare) counts in wall-clock minutes; a run that straddles a minute boundary is repeated once. */
  async function withinOneWindow(run: () => Promise<void>): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const window = Math.floor(Date.now() / 60_000);
      try {
        await run();
        return;
      } catch (err) {
        if (attempt > 0 || Math.floor(Date.now() / 60_000) === window) throw err;
      }
    }
  }

  it("10 token requests a minute per client; then 429 with Retry-After, even with the right secret; other clients are unaffected", async () => {
    await withinOneWindow(async () => {
      const target = await createOAuthClient(tenantId);
      const bystander = await createOAuthClient(tenantId);
      for (let i = 0; i < 10; i++) {
        const res = await tokenRequest(tenantId, { basic: { clientId: target.clientId, clientSecret: `wrong-${i}` } });
        await expectOAuthError(res, 401, "invalid_client");
      }
      const limited = await tokenRequest(tenantId, { basic: { clientId: target.clientId, clientSecret: "wrong-again" } });
      const body = await expectOAuthError(limited, 429, "invalid_client");
      expect(limited.headers.get("retry-after")).toBe("60");
      expect(body.error_description).toContain("Too many");
      // The right secret gains nothing at the limit: a guess cannot succeed by luck.
      await expectOAuthError(await tokenRequest(tenantId, { basic: { clientId: target.clientId, clientSecret: target.clientSecret } }), 429, "invalid_client");
      await expectOAuthError(
        await tokenRequest(tenantId, { form: { client_id: target.clientId, client_secret: target.clientSecret } }),
        429,
        "invalid_client",
      );
      // Per client: another client of the same tenant is served.
      expect((await tokenRequest(tenantId, { basic: { clientId: bystander.clientId, clientSecret: bystander.clientSecret } })).status).toBe(200);
    });
  });

  it("an unknown client id is limited the same way (guessing ids gains nothing either)", async () => {
    await withinOneWindow(async () => {
      const ghost = crypto.randomUUID();
      for (let i = 0; i < 10; i++) await expectOAuthError(await tokenRequest(tenantId, { form: { client_id: ghost, client_secret: "x" } }), 401, "invalid_client");
      await expectOAuthError(await tokenRequest(tenantId, { form: { client_id: ghost, client_secret: "x" } }), 429, "invalid_client");
    });
  });
});
