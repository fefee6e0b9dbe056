/**
 * Failures under a Tenant URL are SCIM errors (RFC 7644 §3.12): content type
 * application/scim+json, the Error schema, `status` as a string, and the
 * status code an identity provider expects (wrong codes make Entra
 * quarantine the customer's sync: Microsoft's "Application provisioning in
 * quarantine status" page).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { createTenant, issueToken, scim } from "./support/admin-client.js";

const ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error";

interface ScimErrorBody {
  schemas: string[];
  status: unknown;
  scimType?: string;
  detail?: string;
}

async function expectScimError(res: Response, status: number): Promise<ScimErrorBody> {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toMatch(/^application\/scim\+json/);
  const body = await res.json<ScimErrorBody>();
  expect(body.schemas).toEqual([ERROR_SCHEMA]);
  expect(body.status).toBe(String(status));
  return body;
}

let token = "";
const post = (path: string, body: BodyInit, headers: Record<string, string> = {}) =>
  scim("errs", path, { token }, { method: "POST", headers: { "content-type": "application/scim+json", ...headers }, body });

beforeAll(async () => {
  await createTenant({ id: "errs", name: "Errors" });
  token = (await issueToken("errs")).token;
});

describe("SCIM errors with a valid token", () => {
  it("answers 404 for an unknown path", async () => {
    await expectScimError(await scim("errs", "/Widgets", { token }), 404);
    await expectScimError(await scim("errs", "/Users/some-id/extra", { token }), 404);
  });

  it("answers 405 for a method the endpoint does not support", async () => {
    await expectScimError(await scim("errs", "/Users", { token }, { method: "DELETE" }), 405);
    await expectScimError(await scim("errs", "/ServiceProviderConfig", { token }, { method: "POST", body: "{}" }), 405);
  });

  it("answers 400 invalidSyntax for a malformed JSON body", async () => {
    const body = await expectScimError(await post("/Users", '{"userName": '), 400);
    expect(body.scimType).toBe("invalidSyntax");
  });

  it("answers 413 for a body over 1 MiB", async () => {
    const big = JSON.stringify({ schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"], userName: "x".repeat(1024 * 1024 + 1) });
    await expectScimError(await post("/Users", big), 413);
  });

  it("answers 413 for a body over 1 MiB sent without Content-Length (chunked)", async () => {
    const chunk = new TextEncoder().encode("x".repeat(64 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent > 1024 * 1024) controller.close();
        else {
          controller.enqueue(chunk);
          sent += chunk.byteLength;
        }
      },
    });
    await expectScimError(await post("/Users", stream), 413);
  });
});
