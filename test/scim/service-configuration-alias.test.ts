/**
 * Microsoft's older Postman collection for SCIM reads
 * `GET …/scim/v2/serviceConfiguration`; it gets exactly the answer of
 * `/ServiceProviderConfig` (RFC 7644 §4), in any letter case.
 */
import { describe, expect, it } from "vitest";
import { expectScimError } from "../support/scim-error.js";
import { newScimTenant } from "../support/scim-tenant.js";

const SPC = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";

describe("GET /serviceConfiguration", () => {
  it("answers exactly as /ServiceProviderConfig", async () => {
    const t = await newScimTenant();
    const canonical = await t.request("GET", "/ServiceProviderConfig");
    expect(canonical.status).toBe(200);
    expect(canonical.body.schemas).toEqual([SPC]);
    for (const path of ["/serviceConfiguration", "/ServiceConfiguration", "/serviceconfiguration", "/serviceConfiguration/"]) {
      const res = await t.request("GET", path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get("content-type")).toBe(canonical.headers.get("content-type"));
      expect(res.body, path).toEqual(canonical.body);
    }
  });

  it("behaves as /ServiceProviderConfig otherwise too: 405 for POST, 403 for a filter, 401 without a token", async () => {
    const t = await newScimTenant();
    const post = await t.request("POST", "/serviceConfiguration", {});
    expectScimError(post, 405);
    expect(post.headers.get("allow")).toBe("GET");
    expectScimError(await t.request("GET", `/serviceConfiguration?filter=${encodeURIComponent('id eq "x"')}`), 403);
    const anonymous = await t.request("GET", "/serviceConfiguration", undefined, { authorization: "Bearer nope" });
    expectScimError(anonymous, 401);
  });
});
