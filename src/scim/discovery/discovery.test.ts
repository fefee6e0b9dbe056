import { describe, expect, it } from "vitest";
import { DEFAULT_VENDOR_CONFIG } from "../../env.js";
import { MAX_RESULTS } from "../list-response.js";
import {
  ENTERPRISE_USER_SCHEMA,
  GROUP_SCHEMA,
  LIST_RESPONSE_SCHEMA,
  RESOURCE_TYPE_SCHEMA,
  SCHEMA_SCHEMA,
  SERVICE_PROVIDER_CONFIG_SCHEMA,
  USER_SCHEMA,
  resourceDefinitions,
} from "../schema/index.js";
import { resourceType, resourceTypes, schema, schemas, serviceProviderConfig } from "./index.js";

const BASE = "https://scim.example/tenants/acme/scim/v2";
const config = DEFAULT_VENDOR_CONFIG;
const defs = resourceDefinitions(config);

function hasNull(value: unknown): boolean {
  if (value === null) return true;
  if (Array.isArray(value)) return value.some(hasNull);
  if (typeof value === "object") return Object.values(value as object).some(hasNull);
  return false;
}

describe("ServiceProviderConfig (RFC 7643 §5)", () => {
  const spc = serviceProviderConfig(`${BASE}/`);
  it("advertises exactly what the server supports (SCIMReferenceCode Postman collection: patch.supported true)", () => {
    expect(spc).toMatchObject({
      schemas: [SERVICE_PROVIDER_CONFIG_SCHEMA],
      patch: { supported: true },
      bulk: { supported: false, maxOperations: 0, maxPayloadSize: 1048576 },
      filter: { supported: true, maxResults: MAX_RESULTS },
      changePassword: { supported: false },
      sort: { supported: true },
      etag: { supported: true },
      meta: { resourceType: "ServiceProviderConfig", location: `${BASE}/ServiceProviderConfig` },
    });
    // Both schemes that work, each sent as a Bearer token: OAuth client credentials (primary) and the long-lived token.
    expect(spc["authenticationSchemes"]).toEqual([
      expect.objectContaining({
        type: "oauthbearertoken",
        name: "OAuth 2.0 client credentials",
        specUri: "https://www.rfc-editor.org/info/rfc6749",
        documentationUri: "https://scim.example/tenants/acme/.well-known/oauth-authorization-server",
        primary: true,
      }),
      expect.objectContaining({ type: "oauthbearertoken", name: "Long-lived bearer token", specUri: "https://www.rfc-editor.org/info/rfc6750", primary: false }),
    ]);
    expect(hasNull(spc)).toBe(false);
  });
});

describe("ResourceTypes (RFC 7643 §6)", () => {
  const list = resourceTypes(BASE, defs);
  it("is a ListResponse with User first (SCIMReferenceCode Postman collection: Resources[0].endpoint == \"/Users\")", () => {
    expect(list.schemas).toEqual([LIST_RESPONSE_SCHEMA]);
    expect(list.totalResults).toBe(2);
    expect(list.Resources[0]?.["endpoint"]).toBe("/Users");
    expect(hasNull(list)).toBe(false);
  });
  it("User and Group carry their optional extensions", () => {
    expect(list.Resources[0]).toEqual({
      schemas: [RESOURCE_TYPE_SCHEMA],
      id: "User",
      name: "User",
      endpoint: "/Users",
      description: "User Account",
      schema: USER_SCHEMA,
      schemaExtensions: [
        { schema: ENTERPRISE_USER_SCHEMA, required: false },
        { schema: config.userExtensionUrn, required: false },
      ],
      meta: { resourceType: "ResourceType", location: `${BASE}/ResourceTypes/User` },
    });
    expect(list.Resources[1]).toMatchObject({
      endpoint: "/Groups",
      schema: GROUP_SCHEMA,
      schemaExtensions: [{ schema: config.groupExtensionUrn, required: false }],
    });
  });
  it("one by name, case-insensitive", () => {
    expect(resourceType(BASE, defs, "group")?.["id"]).toBe("Group");
    expect(resourceType(BASE, defs, "Device")).toBeUndefined();
  });
});

describe("Schemas (RFC 7643 §7, Microsoft's /Schemas rules for Entra)", () => {
  const list = schemas(BASE, defs);
  it("lists core User, enterprise, vendor user, core Group, licence group", () => {
    expect(list.Resources.map((s) => s["id"])).toEqual([
      USER_SCHEMA,
      ENTERPRISE_USER_SCHEMA,
      config.userExtensionUrn,
      GROUP_SCHEMA,
      config.groupExtensionUrn,
    ]);
    expect(list.totalResults).toBe(5);
  });
  it('contains "User Account" and no null values', () => {
    expect(JSON.stringify(list)).toContain('"description":"User Account"');
    expect(hasNull(list)).toBe(false);
  });
  it("each schema has full attribute characteristics with camelCase values", () => {
    const core = list.Resources[0] as { schemas: unknown; attributes: Array<Record<string, unknown>>; meta: unknown };
    expect(core.schemas).toEqual([SCHEMA_SCHEMA]);
    expect(core.meta).toEqual({ resourceType: "Schema", location: `${BASE}/Schemas/${USER_SCHEMA}` });
    const userName = core.attributes.find((a) => a["name"] === "userName");
    expect(userName).toEqual({
      name: "userName",
      type: "string",
      multiValued: false,
      description: expect.any(String),
      required: true,
      caseExact: false,
      mutability: "readWrite",
      returned: "default",
      uniqueness: "server",
    });
    const emails = core.attributes.find((a) => a["name"] === "emails");
    expect((emails?.["subAttributes"] as unknown[]).length).toBeGreaterThan(0);
  });
  it("does not advertise the write-only password we never store", () => {
    const core = list.Resources[0] as { attributes: Array<Record<string, unknown>> };
    expect(core.attributes.some((a) => a["name"] === "password")).toBe(false);
  });
  it("the licence extension advertises its attribute", () => {
    const licence = list.Resources[4] as { attributes: Array<Record<string, unknown>> };
    expect(licence.attributes.map((a) => a["name"])).toEqual([config.groupLicenceAttribute]);
  });
  it("one by URN, case-insensitive", () => {
    expect(schema(BASE, defs, USER_SCHEMA.toUpperCase())?.["id"]).toBe(USER_SCHEMA);
    expect(schema(BASE, defs, "urn:nope")).toBeUndefined();
  });
});
