import { listResponse } from "../list-response.js";
import type { ListResponse } from "../list-response.js";
import { SCHEMA_SCHEMA } from "../schema/index.js";
import type { AttributeDefinition, ResourceDefinitions, SchemaDefinition } from "../schema/index.js";
import { trimSlash } from "./service-provider-config.js";

/**
 * One attribute with every characteristic of RFC 7643 §7, camelCase values
 * and no nulls (Microsoft's SCIM guide for Entra ID, "/Schemas"); optional lists only when present.
 */
function attributeOf(attr: AttributeDefinition): Record<string, unknown> {
  const out: Record<string, unknown> = {
    name: attr.name,
    type: attr.type,
    multiValued: attr.multiValued,
    description: attr.description,
    required: attr.required,
    caseExact: attr.caseExact,
    mutability: attr.mutability,
    returned: attr.returned,
    uniqueness: attr.uniqueness,
  };
  if (attr.canonicalValues && attr.canonicalValues.length > 0) out["canonicalValues"] = [...attr.canonicalValues];
  if (attr.referenceTypes && attr.referenceTypes.length > 0) out["referenceTypes"] = [...attr.referenceTypes];
  if (attr.subAttributes) out["subAttributes"] = attr.subAttributes.map(attributeOf);
  return out;
}

/**
 * Write-only attributes (`password`) are left out: we accept and drop them,
 * so we don't support them, and Microsoft's validator in "Discover schema"
 * mode fails on an advertised password (https://github.com/scimmyjs/scimmy-routers/issues/10).
 */
function advertised(attr: AttributeDefinition): boolean {
  return attr.mutability !== "writeOnly";
}

function schemaOf(baseUrl: string, schema: SchemaDefinition): Record<string, unknown> {
  return {
    schemas: [SCHEMA_SCHEMA],
    id: schema.id,
    name: schema.name,
    description: schema.description,
    attributes: schema.attributes.filter(advertised).map(attributeOf),
    meta: { resourceType: "Schema", location: `${trimSlash(baseUrl)}/Schemas/${schema.id}` },
  };
}

function allSchemas(defs: ResourceDefinitions): SchemaDefinition[] {
  return [defs.user.core, ...defs.user.extensions, defs.group.core, ...defs.group.extensions];
}

/**
 * GET /Schemas (RFC 7644 §4, RFC 7643 §7): core User ("User Account", which
 * Microsoft's SCIMReferenceCode Postman collection looks for), enterprise User,
 * the vendor user extension, core Group (test 15 of Microsoft's Logic App
 * validation fails every group test without it) and the group
 * licence extension.
 */
export function schemas(baseUrl: string, defs: ResourceDefinitions): ListResponse<Record<string, unknown>> {
  const list = allSchemas(defs).map((s) => schemaOf(baseUrl, s));
  return listResponse(list, list.length, 1);
}

/** GET /Schemas/{urn}, URN case-insensitive (RFC 7643 §2.1); undefined → 404. */
export function schema(baseUrl: string, defs: ResourceDefinitions, urn: string): Record<string, unknown> | undefined {
  const lower = urn.toLowerCase();
  const found = allSchemas(defs).find((s) => s.id.toLowerCase() === lower);
  return found ? schemaOf(baseUrl, found) : undefined;
}
