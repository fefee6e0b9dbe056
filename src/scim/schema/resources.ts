import type { VendorConfig } from "../../env.js";
import { commonAttributes } from "./common.js";
import { groupSchema, licenceGroupSchema } from "./group.js";
import type { AttributeDefinition, ResolvedPath, ResourceDefinition, SchemaDefinition } from "./types.js";
import { enterpriseUserSchema, userSchema, vendorUserSchema } from "./user.js";

export interface ResourceDefinitions {
  user: ResourceDefinition;
  group: ResourceDefinition;
}

const cache = new Map<string, ResourceDefinitions>();

/** The User and Group resource types for a vendor configuration (memoised). */
export function resourceDefinitions(config: VendorConfig): ResourceDefinitions {
  const key = JSON.stringify(config);
  let defs = cache.get(key);
  if (!defs) {
    defs = {
      user: {
        name: "User",
        endpoint: "/Users",
        description: "User Account",
        core: userSchema,
        extensions: [enterpriseUserSchema, vendorUserSchema(config.userExtensionUrn, config.userExtensionAttributes)],
      },
      group: {
        name: "Group",
        endpoint: "/Groups",
        description: "Group",
        core: groupSchema,
        extensions: [licenceGroupSchema(config.groupExtensionUrn, config.groupLicenceAttribute)],
      },
    };
    cache.set(key, defs);
  }
  return defs;
}

export function findAttribute(list: readonly AttributeDefinition[] | undefined, name: string): AttributeDefinition | undefined {
  if (!list) return undefined;
  const lower = name.toLowerCase();
  return list.find((a) => a.name.toLowerCase() === lower);
}

/** The schema with this URN (case-insensitive, RFC 7643 §2.1), core or extension. */
export function findSchema(resource: ResourceDefinition, urn: string): SchemaDefinition | undefined {
  const lower = urn.toLowerCase();
  if (resource.core.id.toLowerCase() === lower) return resource.core;
  return resource.extensions.find((s) => s.id.toLowerCase() === lower);
}

/** Is `key` (a JSON key of a request body) the URN of one of the resource's extensions? */
export function extensionForKey(resource: ResourceDefinition, key: string): SchemaDefinition | undefined {
  const lower = key.toLowerCase();
  return resource.extensions.find((s) => s.id.toLowerCase() === lower);
}

/** An attribute name (RFC 7643 §2.1 ATTRNAME, plus `$ref`), optionally with one `.subAttribute`. */
const ATTRIBUTE_TAIL = /^[A-Za-z$][\w$-]*(\.[A-Za-z$][\w$-]*)?$/;

/**
 * The schema URI that a schema-qualified body key or PATCH path names, when
 * `resource` does not declare that schema; undefined for a declared schema
 * (an unknown attribute of it is an ordinary unknown attribute) and for a
 * plain attribute name (ATTRNAME has no ':', RFC 7643 §2.1). Both
 * `urn:…:acme:2.0:User` (the extension object's key, RFC 7643 §3.3) and
 * `urn:…:acme:2.0:User:costCenter` (a URN-qualified attribute, RFC 7644
 * §3.10) name `urn:…:acme:2.0:User`: a last segment that is a resource type
 * name ends the schema URN, any other attribute-shaped one is the attribute.
 * A URI that is not a URN (`http://schemas.microsoft.com/…/ADSCIM/2.0/User`)
 * is named whole.
 */
export function undeclaredSchemaOf(resource: ResourceDefinition, key: string): string | undefined {
  if (!key.includes(":")) return undefined;
  if (findSchema(resource, key)) return undefined;
  const idx = key.lastIndexOf(":");
  const head = key.slice(0, idx);
  const tail = key.slice(idx + 1);
  const tailIsAttribute = head.includes(":") && ATTRIBUTE_TAIL.test(tail) && !/^(user|group)$/i.test(tail);
  if (!tailIsAttribute) return key;
  return findSchema(resource, head) ? undefined : head;
}

/** The extension URNs a resource type declares, for error details. */
export function declaredExtensions(resource: ResourceDefinition): string {
  return resource.extensions.map((s) => s.id).join(", ");
}

/**
 * Splits an attribute path into an optional schema URN and the dotted
 * attribute part. RFC 7644 §3.10: the URN is everything up to the last ':'
 * that precedes the attribute name; the '.' in "2.0" is not a sub-attribute
 * separator, so we split on ':' first (Entra sends
 * `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value`).
 */
export function splitUrn(path: string): { urn?: string; rest: string } {
  if (!path.toLowerCase().startsWith("urn:")) return { rest: path };
  const idx = path.lastIndexOf(":");
  return { urn: path.slice(0, idx), rest: path.slice(idx + 1) };
}

/**
 * Resolves `userName`, `name.givenName`, `meta.created`,
 * `urn:…:core:2.0:User:userName`, `urn:…:enterprise:2.0:User:manager.value`
 * or a bare extension URN against a resource type. Attribute names are
 * case-insensitive (RFC 7643 §2.1). Returns undefined for unknown paths;
 * callers turn that into invalidFilter / invalidPath as their RFC section says.
 */
export function resolvePath(resource: ResourceDefinition, path: string): ResolvedPath | undefined {
  // A bare extension URN names the whole extension object.
  const whole = findSchema(resource, path);
  if (whole && whole !== resource.core) return { schema: whole, isExtension: true };

  const { urn, rest } = splitUrn(path);
  let schema: SchemaDefinition = resource.core;
  if (urn !== undefined) {
    const found = findSchema(resource, urn);
    if (!found) return undefined;
    schema = found;
  }
  const isExtension = schema !== resource.core;
  const parts = rest.split(".");
  if (parts.length > 2 || parts.some((p) => p.length === 0)) return undefined;
  const [head, sub] = parts as [string, string | undefined];
  const attribute =
    findAttribute(schema.attributes, head) ?? (isExtension ? undefined : findAttribute(commonAttributes, head));
  if (!attribute) return undefined;
  if (sub === undefined) return { schema, isExtension, attribute };
  if (attribute.type !== "complex") return undefined;
  const subAttribute = findAttribute(attribute.subAttributes, sub);
  if (!subAttribute) return undefined;
  return { schema, isExtension, attribute, subAttribute };
}

/** All attributes (common + core) addressable at the top level of a resource. */
export function topLevelAttributes(resource: ResourceDefinition): AttributeDefinition[] {
  return [...commonAttributes, ...resource.core.attributes];
}
