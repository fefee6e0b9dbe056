/**
 * The schema model of RFC 7643 §7: one AttributeDefinition per attribute,
 * with the characteristics that drive discovery, filtering (caseExact),
 * PATCH (mutability, multiValued) and projection (returned).
 */

export type AttributeType =
  | "string"
  | "boolean"
  | "decimal"
  | "integer"
  | "dateTime"
  | "binary"
  | "reference"
  | "complex";

export type Mutability = "readOnly" | "readWrite" | "immutable" | "writeOnly";
export type Returned = "always" | "never" | "default" | "request";
export type Uniqueness = "none" | "server" | "global";

export interface AttributeDefinition {
  name: string;
  type: AttributeType;
  multiValued: boolean;
  description: string;
  required: boolean;
  caseExact: boolean;
  mutability: Mutability;
  returned: Returned;
  uniqueness: Uniqueness;
  canonicalValues?: string[];
  referenceTypes?: string[];
  subAttributes?: AttributeDefinition[];
}

export interface SchemaDefinition {
  /** The schema URN, e.g. urn:ietf:params:scim:schemas:core:2.0:User. */
  id: string;
  name: string;
  description: string;
  attributes: AttributeDefinition[];
}

/** A resource type (RFC 7643 §6) with its core schema and extensions. */
export interface ResourceDefinition {
  name: "User" | "Group";
  endpoint: "/Users" | "/Groups";
  description: string;
  core: SchemaDefinition;
  extensions: SchemaDefinition[];
}

/**
 * Where a path such as `name.givenName` or
 * `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value`
 * lands: the schema it belongs to, the top-level attribute and, if named,
 * the sub-attribute. `attribute` is undefined when the path names a whole
 * extension (`urn:…:enterprise:2.0:User`).
 */
export interface ResolvedPath {
  schema: SchemaDefinition;
  /** True when `schema` is an extension: its attributes live under `resource[schema.id]`. */
  isExtension: boolean;
  attribute?: AttributeDefinition;
  subAttribute?: AttributeDefinition;
}
