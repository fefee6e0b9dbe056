import { isPlainObject } from "../data-types.js";
import { ScimError } from "../errors.js";
import { commonAttributes, declaredExtensions, extensionForKey, resolvePath, undeclaredSchemaOf } from "../schema/index.js";
import type { AttributeDefinition, ResolvedPath, ResourceDefinition, SchemaDefinition } from "../schema/index.js";
import { coerceAttribute, isAbsent } from "./coerce.js";
import type { ResourceDoc, ResourceMeta, ScimObject, ScimValue } from "./types.js";

/** Custom coercion for one attribute (the group licence keeps its value as sent). */
export type AttributeCoercer = (value: unknown, path: string) => ScimValue | undefined;

export interface ParseDocumentOptions {
  /** Core attributes taken out of the doc and handed back raw (group `members`). */
  extract?: readonly string[];
  custom?: ReadonlyMap<AttributeDefinition, AttributeCoercer>;
  /**
   * What to do with data under a schema URI the resource does not declare:
   * "refuse" (the default, for what a client sends) or "drop" (for a doc we
   * stored ourselves and re-validate after a PATCH: data kept under a URN
   * the vendor has since renamed must not make every later PATCH fail).
   */
  undeclared?: "refuse" | "drop";
}

/** Unassigned all the way down (RFC 7643 §2.5): null, "", [], or an object of only such values. */
function carriesNoData(value: unknown): boolean {
  if (isAbsent(value)) return true;
  return isPlainObject(value) && Object.values(value).every(carriesNoData);
}

/** Keys a doc never holds (see types.ts). */
export const NON_DOC_KEYS: ReadonlySet<string> = new Set(["id", "meta", "schemas", "password", "groups", "members"]);

/**
 * Turns a request body (POST/PUT) or a PATCH result into a canonical doc:
 * - keys are case-insensitive (RFC 7643 §2.1) and come out camelCase;
 * - extension attributes are read from `{ "<urn>": {...} }` whether or not
 *   the URN is in `schemas` (Entra omits custom extension URNs: Microsoft's
 *   "Customize application attributes" page) and from URN-qualified flat
 *   keys `"<urn>:location"` (Entra);
 * - readOnly attributes (`id`, `meta`, user `groups`) are ignored
 *   (RFC 7643 §2.2: Entra sends meta, Okta sends groups: [] and id on PUT);
 * - writeOnly attributes (`password`) are dropped: we store no password;
 * - unknown plain attributes are dropped, as RFC 7644 §3.5.1 allows and
 *   Microsoft's reference suite expects ("misspelled attribute" PUT → 200),
 *   and so are unknown attributes of a declared schema;
 * - data under a schema URI the resource does not declare (an Entra admin's
 *   own `urn:…:acme:2.0:User`, as an object or as URN-qualified keys) is
 *   refused with invalidValue naming it. It is not dropped: the client
 *   believes it provisioned that data and would never learn otherwise
 *   (Entra reports a 201 as success and does not re-send). It is not stored
 *   either: an undeclared schema has no definition to check types, size or
 *   mutability against, and /Schemas could not describe what GET returns
 *   (RFC 7643 §3: `schemas` lists only schemas the resource type declares,
 *   RFC 7643 §6). A URN without data (listed only in `schemas`, like
 *   Microsoft's ADSCIM Group schema, or `{}` / null under it) is fine;
 * - `schemas` is not checked: we render it from what the doc holds.
 * Output keys follow schema order: externalId, core, then extensions.
 */
export function parseDocument(
  body: unknown,
  def: ResourceDefinition,
  options: ParseDocumentOptions = {},
): { doc: ResourceDoc; extracted: Map<string, unknown> } {
  if (!isPlainObject(body)) throw ScimError.invalidSyntax(`A ${def.name} must be a JSON object`);
  const extract = new Set((options.extract ?? []).map((n) => n.toLowerCase()));
  const extracted = new Map<string, unknown>();
  const raw = new Map<SchemaDefinition, Map<AttributeDefinition, unknown>>();

  const place = (resolved: ResolvedPath, value: unknown, key: string): void => {
    const attr = resolved.attribute;
    if (!attr) return;
    if (attr.mutability === "readOnly" || attr.mutability === "writeOnly") return;
    if (!resolved.isExtension && extract.has(attr.name.toLowerCase())) {
      if (!resolved.subAttribute) extracted.set(attr.name, value);
      return;
    }
    let attrs = raw.get(resolved.schema);
    if (!attrs) raw.set(resolved.schema, (attrs = new Map()));
    const sub = resolved.subAttribute;
    if (!sub) {
      attrs.set(attr, value);
      return;
    }
    // A dotted key such as "name.givenName" sets one sub-attribute.
    if (attr.multiValued) throw ScimError.invalidValue(`"${key}" names a sub-attribute of the multi-valued attribute "${attr.name}"`);
    const current = attrs.get(attr);
    const merged: Record<string, unknown> = isPlainObject(current) ? { ...current } : {};
    merged[sub.name] = value;
    attrs.set(attr, merged);
  };

  for (const [key, value] of Object.entries(body)) {
    if (key.toLowerCase() === "schemas") continue;
    const extension = extensionForKey(def, key);
    if (extension) {
      if (isAbsent(value)) continue;
      if (!isPlainObject(value)) throw ScimError.invalidValue(`"${extension.id}" must be a JSON object`);
      for (const [inner, innerValue] of Object.entries(value)) {
        const resolved = resolvePath(def, `${extension.id}:${inner}`);
        if (resolved) place(resolved, innerValue, `${extension.id}:${inner}`);
      }
      continue;
    }
    const resolved = resolvePath(def, key);
    if (resolved) {
      place(resolved, value, key);
      continue;
    }
    const undeclared = undeclaredSchemaOf(def, key);
    if (undeclared !== undefined && options.undeclared !== "drop" && !carriesNoData(value)) {
      const named = key === undeclared ? `"${undeclared}"` : `"${key}" (schema "${undeclared}")`;
      throw ScimError.invalidValue(
        `${named} is not a schema of the ${def.name} resource type here, so its data cannot be stored; declared extensions: ${declaredExtensions(def)}`,
      );
    }
  }

  const doc: ResourceDoc = {};
  const coerce = (attr: AttributeDefinition, value: unknown, path: string): ScimValue | undefined => {
    const custom = options.custom?.get(attr);
    return custom ? custom(value, path) : coerceAttribute(attr, value, path);
  };
  const core = raw.get(def.core);
  if (core) {
    for (const attr of [...commonAttributes, ...def.core.attributes]) {
      if (!core.has(attr)) continue;
      const v = coerce(attr, core.get(attr), attr.name);
      if (v !== undefined) doc[attr.name] = v;
    }
  }
  for (const extension of def.extensions) {
    const attrs = raw.get(extension);
    if (!attrs) continue;
    const out: ScimObject = {};
    for (const attr of extension.attributes) {
      if (!attrs.has(attr)) continue;
      const v = coerce(attr, attrs.get(attr), `${extension.id}:${attr.name}`);
      if (v !== undefined) out[attr.name] = v;
    }
    if (Object.keys(out).length > 0) doc[extension.id] = out;
  }
  return { doc, extracted };
}

/**
 * The SCIM representation of a doc: `schemas` lists the core schema and each
 * extension the doc holds (RFC 7643 §3), then `id`, the doc's attributes, and
 * whatever `extra` the caller adds (groups/members), then `meta` (§3.1).
 */
export function renderDocument(
  doc: ResourceDoc,
  def: ResourceDefinition,
  { id, created, lastModified, location, version }: ResourceMeta,
  extra: Record<string, unknown>,
): Record<string, unknown> {
  const schemas = [def.core.id];
  for (const extension of def.extensions) {
    if (isPlainObject(doc[extension.id])) schemas.push(extension.id);
  }
  const out: Record<string, unknown> = { schemas, id };
  for (const [key, value] of Object.entries(doc)) {
    // Defensive: a doc never holds these, and `password` is returned: never.
    if (NON_DOC_KEYS.has(key)) continue;
    out[key] = value;
  }
  for (const [key, value] of Object.entries(extra)) out[key] = value;
  out["meta"] = { resourceType: def.name, created, lastModified, location, version };
  return out;
}
