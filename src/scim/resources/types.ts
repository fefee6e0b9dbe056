/**
 * The stored representation of a resource ("doc"): canonical SCIM JSON with
 * core attributes top-level under their canonical camelCase names and
 * extension attributes nested under the extension's schema URN, spelled
 * exactly as the schema id. A doc never holds `id`, `meta`, `schemas`,
 * `password`, user `groups` or group `members`: the storage layer keeps
 * id/meta apart and computes groups/members from the membership table.
 * Unassigned attributes are absent, never `null` (RFC 7643 §2.5).
 */
export type ScimValue = string | number | boolean | ScimObject | ScimValue[];
export interface ScimObject {
  [key: string]: ScimValue;
}

export type ResourceDoc = ScimObject;
export type UserDoc = ResourceDoc;
export type GroupDoc = ResourceDoc;

/** What the storage layer keeps beside a doc, rendered as `id` and `meta` (RFC 7643 §3.1). */
export interface ResourceMeta {
  id: string;
  /** xsd:dateTime, e.g. 2026-01-23T04:56:22Z. */
  created: string;
  lastModified: string;
  /** A weak entity tag, `W/"…"` (RFC 7644 §3.14); see weakETag(). */
  version: string;
  /** The resource's URI, equal to the Location header of a 201. */
  location: string;
}

/** One entry of a user's read-only `groups` (RFC 7643 §4.1.2). */
export interface UserGroupRef {
  value: string;
  $ref: string;
  display: string;
  type: "direct";
}

/** One entry of a group's `members` (RFC 7643 §4.2). */
export interface GroupMemberRef {
  value: string;
  $ref: string;
  display?: string;
  type: "User";
}
