/**
 * Turns the JSON values of a PATCH operation into the canonical stored form
 * of an attribute (RFC 7643 §2.3 data types), accepting the loose shapes
 * IdPs send: "True"/"False" for booleans (Entra's default PATCH dialect),
 * numeric strings for numbers, case-insensitive sub-attribute names
 * and the enterprise manager as a bare id. Any other wrong JSON type is
 * invalidValue (RFC 7644 §3.12), as in POST and PUT.
 */
import { ScimError } from "../errors.js";
import { findAttribute } from "../schema/resources.js";
import { isEnterpriseManager } from "../schema/user.js";
import type { AttributeDefinition } from "../schema/types.js";
import { isPlainObject } from "../data-types.js";

export type SimpleValue = string | number | boolean;
/** A stored sub-attribute value: simple, or a list of simple values for a multi-valued sub-attribute. */
export type SubValue = SimpleValue | SimpleValue[];
export type ComplexValue = Record<string, SubValue>;

function describe(value: unknown): string {
  if (Array.isArray(value)) return "an array";
  if (value === null) return "null";
  return typeof value === "object" ? "an object" : `${typeof value} ${JSON.stringify(value)}`;
}

/**
 * Coerces a value for a simple (non-complex) attribute or sub-attribute.
 * Returns undefined for null and "": both mean "unassigned" (RFC 7643 §2.5;
 * Microsoft's validation suite clears attributes with "" and null).
 */
export function coerceSimpleValue(value: unknown, def: AttributeDefinition, label: string): SimpleValue | undefined {
  if (value === null || value === undefined || value === "") return undefined;
  const bad = (): ScimError => ScimError.invalidValue(`"${label}" expects a ${def.type} value, got ${describe(value)}`);
  switch (def.type) {
    case "boolean":
      if (typeof value === "boolean") return value;
      // Entra's default dialect sends "True"/"False"; lower case was seen too
      // (https://github.com/scimmyjs/scimmy/issues/86).
      if (typeof value === "string") {
        const lower = value.trim().toLowerCase();
        if (lower === "true") return true;
        if (lower === "false") return false;
      }
      throw bad();
    case "integer": {
      const n = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
      if (typeof n === "number" && Number.isInteger(n)) return n;
      throw bad();
    }
    case "decimal": {
      const n = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
      if (typeof n === "number" && Number.isFinite(n)) return n;
      throw bad();
    }
    case "dateTime":
      if (typeof value === "string" && !Number.isNaN(Date.parse(value))) return value;
      throw bad();
    case "complex":
      throw bad();
    default:
      // string, reference, binary: a string and nothing else. A number or a
      // boolean is refused, not stringified (RFC 7643 §2.3.1; see coerceAttribute).
      if (typeof value === "string") return value;
      throw bad();
  }
}

/** Coerces the value of a sub-attribute (possibly multi-valued). Undefined means unassigned. */
export function coerceSubValue(value: unknown, def: AttributeDefinition, label: string): SubValue | undefined {
  if (!def.multiValued) return coerceSimpleValue(value, def, label);
  if (value === null || value === undefined) return undefined;
  const list = Array.isArray(value) ? value : [value];
  const out = list
    .map((v: unknown) => coerceSimpleValue(v, def, label))
    .filter((v): v is SimpleValue => v !== undefined);
  return out.length > 0 ? out : undefined;
}

/**
 * The single-valued reference whose id IdPs send loosely: the enterprise
 * `manager`, as a bare id, `{value}` or `[{value,$ref}]` (Entra sends a bare
 * id: https://github.com/Captain-P-Goldfish/SCIM-SDK/issues/686). Only it: any other complex attribute takes an object
 * (isEnterpriseManager says why).
 */
export function isReferenceComplex(def: AttributeDefinition): boolean {
  return isEnterpriseManager(def);
}

/** Brings a manager-like value to object form: "id" → {value: "id"}, [{…}] → {…}. */
export function normaliseReferenceValue(value: unknown, label: string): unknown {
  if (typeof value === "string") return value === "" ? null : { value };
  if (Array.isArray(value)) {
    if (value.length === 0) return null;
    if (value.length === 1) return value[0];
    throw ScimError.invalidValue(`"${label}" is single-valued: got ${value.length} values`);
  }
  return value;
}

/**
 * Coerces a complex value. Keys are matched case-insensitively and written
 * with the canonical name; an unknown sub-attribute is invalidPath (it names
 * nothing in the schema, RFC 7644 §3.12). readOnly sub-attributes are
 * ignored (RFC 7643 §7). A sub-attribute mapped to undefined must be
 * cleared when merging (explicit null/"" = unassigned).
 */
export function coerceComplexValue(
  value: unknown,
  def: AttributeDefinition,
  label: string,
): Record<string, SubValue | undefined> {
  if (!isPlainObject(value)) {
    throw ScimError.invalidValue(`"${label}" is a complex attribute and expects an object, got ${describe(value)}`);
  }
  const out: Record<string, SubValue | undefined> = {};
  for (const [key, raw] of Object.entries(value)) {
    const sub = findAttribute(def.subAttributes, key);
    if (!sub) throw ScimError.invalidPath(`Unknown sub-attribute "${label}.${key}"`);
    if (sub.mutability === "readOnly") continue;
    out[sub.name] = coerceSubValue(raw, sub, `${label}.${sub.name}`);
  }
  return out;
}

/** The complex value with unassigned sub-attributes dropped; undefined if nothing is left. */
export function withoutUnassigned(value: Record<string, SubValue | undefined>): ComplexValue | undefined {
  const out: ComplexValue = {};
  for (const [key, v] of Object.entries(value)) if (v !== undefined) out[key] = v;
  return Object.keys(out).length > 0 ? out : undefined;
}

function sameSimple(a: unknown, b: unknown, def: AttributeDefinition | undefined): boolean {
  // Strings compare as the attribute's caseExact says (RFC 7643 §2.2).
  if (typeof a === "string" && typeof b === "string" && def && !def.caseExact) return a.toLowerCase() === b.toLowerCase();
  return a === b;
}

function sameSub(a: unknown, b: unknown, def: AttributeDefinition | undefined): boolean {
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((v: unknown, i) => sameSimple(v, b[i], def));
  }
  return sameSimple(a, b, def);
}

/**
 * Equality of two values of a multi-valued attribute, used so that `add`
 * does not duplicate an existing value (RFC 7644 §3.5.2.1).
 */
export function sameValue(a: unknown, b: unknown, def: AttributeDefinition): boolean {
  if (def.type !== "complex") return sameSimple(a, b, def);
  if (!isPlainObject(a) || !isPlainObject(b)) return false;
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const key of keys) {
    if (!sameSub(a[key], b[key], findAttribute(def.subAttributes, key))) return false;
  }
  return true;
}

/**
 * Entra's `Remove` with a value (not in RFC 7644): an element is removed
 * when it equals one of the given values; complex elements compare on
 * their `value` sub-attribute when the attribute has one.
 */
export function sameIdentity(element: unknown, given: unknown, def: AttributeDefinition): boolean {
  if (def.type !== "complex") return sameSimple(element, given, def);
  const valueDef = findAttribute(def.subAttributes, "value");
  if (!valueDef) return sameValue(element, given, def);
  if (!isPlainObject(element)) return false;
  const wanted = isPlainObject(given) ? given[Object.keys(given).find((k) => k.toLowerCase() === "value") ?? "value"] : given;
  return wanted !== undefined && sameSimple(element[valueDef.name], wanted, valueDef);
}
