import { listResponse } from "../list-response.js";
import type { ListResponse } from "../list-response.js";
import { RESOURCE_TYPE_SCHEMA } from "../schema/index.js";
import type { ResourceDefinition, ResourceDefinitions } from "../schema/index.js";
import { trimSlash } from "./service-provider-config.js";

function resourceTypeOf(baseUrl: string, def: ResourceDefinition): Record<string, unknown> {
  return {
    schemas: [RESOURCE_TYPE_SCHEMA],
    id: def.name,
    name: def.name,
    endpoint: def.endpoint,
    description: def.description,
    schema: def.core.id,
    // Extensions are optional: Entra sends users without any (RFC 7643 §6).
    schemaExtensions: def.extensions.map((s) => ({ schema: s.id, required: false })),
    meta: { resourceType: "ResourceType", location: `${trimSlash(baseUrl)}/ResourceTypes/${def.name}` },
  };
}

/** GET /ResourceTypes (RFC 7644 §4): User first — Microsoft's SCIMReferenceCode Postman collection checks Resources[0].endpoint == "/Users". */
export function resourceTypes(baseUrl: string, defs: ResourceDefinitions): ListResponse<Record<string, unknown>> {
  const list = [resourceTypeOf(baseUrl, defs.user), resourceTypeOf(baseUrl, defs.group)];
  return listResponse(list, list.length, 1);
}

/** GET /ResourceTypes/{name}, name case-insensitive; undefined → 404. */
export function resourceType(baseUrl: string, defs: ResourceDefinitions, name: string): Record<string, unknown> | undefined {
  const lower = name.toLowerCase();
  const def = [defs.user, defs.group].find((d) => d.name.toLowerCase() === lower);
  return def ? resourceTypeOf(baseUrl, def) : undefined;
}
