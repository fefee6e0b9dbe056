/**
 * Evaluates a bound filter against one resource in canonical SCIM JSON
 * (core and common attributes at the top level, extension attributes under
 * their schema URN). Never throws: a value of the wrong type just doesn't
 * match (RFC 7644 §3.4.2.2 leaves this open; an exception here would turn
 * one odd stored value into a failed list request).
 */
import type { AttributeDefinition } from "../schema/types.js";
import type { CompareOperator, CompareValue } from "./ast.js";
import { foldCase, isPlainObject } from "../data-types.js";
import { comparedAttribute, type BoundFilter, type BoundPath } from "./bind.js";

type JsonObject = Record<string, unknown>;


/** `obj[name]`, falling back to a case-insensitive key match (RFC 7643 §2.1). */
function member(obj: JsonObject, name: string): unknown {
  if (Object.hasOwn(obj, name)) return obj[name];
  const lower = name.toLowerCase();
  for (const key of Object.keys(obj)) if (key.toLowerCase() === lower) return obj[key];
  return undefined;
}


/** RFC 7644 §3.4.2.2 "pr": not null, not "", not an empty array/object. */
function isPresentValue(value: unknown): boolean {
  if (value === undefined || value === null || value === "") return false;
  if (Array.isArray(value)) return value.some(isPresentValue);
  if (isPlainObject(value)) return Object.values(value).some(isPresentValue);
  return true;
}

/** Every value `path` names in `obj`, with multi-valued attributes flattened. */
function valuesAt(path: BoundPath, obj: JsonObject): unknown[] {
  if (path.scope === "element") return flatten(member(obj, comparedAttribute(path).name));
  const container = path.isExtension ? member(obj, path.schemaUrn) : obj;
  if (!isPlainObject(container)) return [];
  const top = member(container, path.attribute.name);
  if (!path.subAttribute) return flatten(top);
  const sub = path.subAttribute.name;
  const elements = Array.isArray(top) ? top : [top];
  return elements.flatMap((element) => (isPlainObject(element) ? flatten(member(element, sub)) : []));
}

function flatten(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value.filter((v) => v !== undefined && v !== null) : [value];
}

function ordered(sign: number, op: CompareOperator): boolean {
  switch (op) {
    case "eq":
      return sign === 0;
    case "gt":
      return sign > 0;
    case "ge":
      return sign >= 0;
    case "lt":
      return sign < 0;
    case "le":
      return sign <= 0;
    default:
      return false;
  }
}

function compareStrings(actual: string, expected: string, op: CompareOperator, caseExact: boolean): boolean {
  const a = caseExact ? actual : foldCase(actual);
  const e = caseExact ? expected : foldCase(expected);
  switch (op) {
    case "co":
      return a.includes(e);
    case "sw":
      return a.startsWith(e);
    case "ew":
      return a.endsWith(e);
    default:
      // Lexicographic by UTF-16 code unit: deterministic, unlike localeCompare.
      return ordered(a < e ? -1 : a > e ? 1 : 0, op);
  }
}

function asBoolean(value: unknown): boolean | undefined {
  if (typeof value === "boolean") return value;
  // Stored as Entra sent it ("True"/"False") if an older write kept the string.
  if (typeof value === "string" && /^(true|false)$/i.test(value)) return value.toLowerCase() === "true";
  return undefined;
}

function asNumber(value: unknown): number | undefined {
  if (typeof value === "number" && Number.isFinite(value)) return value;
  if (typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value))) return Number(value);
  return undefined;
}

/** One stored value against the literal; `ne` is handled by the caller. */
function compareValue(def: AttributeDefinition, op: CompareOperator, actual: unknown, expected: CompareValue): boolean {
  switch (def.type) {
    case "boolean": {
      const a = asBoolean(actual);
      return op === "eq" && a !== undefined && typeof expected === "boolean" && a === expected;
    }
    case "integer":
    case "decimal": {
      const a = asNumber(actual);
      if (a === undefined || typeof expected !== "number") return false;
      return ordered(Math.sign(a - expected), op);
    }
    case "dateTime": {
      if (typeof actual !== "string" || typeof expected !== "string") return false;
      if (op === "co" || op === "sw" || op === "ew") return compareStrings(actual, expected, op, def.caseExact);
      // Chronological: "…T04:42:34Z" equals "…T04:42:34.000Z" and "…T06:42:34+02:00".
      const a = Date.parse(actual);
      const e = Date.parse(expected);
      if (Number.isNaN(a) || Number.isNaN(e)) return false;
      return ordered(Math.sign(a - e), op);
    }
    default:
      if (typeof actual !== "string" || typeof expected !== "string") return false;
      return compareStrings(actual, expected, op, def.caseExact);
  }
}

function matchesComparison(path: BoundPath, op: CompareOperator, expected: CompareValue, obj: JsonObject): boolean {
  const values = valuesAt(path, obj);
  if (expected === null) {
    // `eq null` ≡ not present, `ne null` ≡ present (bind allows only eq/ne with null).
    const present = values.some(isPresentValue);
    return op === "ne" ? present : !present;
  }
  const def = comparedAttribute(path);
  // RFC 7644 §3.4.2.2: on a multi-valued attribute a comparison matches when
  // ANY value matches. Read literally, `ne` would then match `emails ne "a"`
  // on a user who also has "a"; we define `ne` as "no value equals", the
  // complement of `eq`, which is what clients mean. A missing attribute is
  // therefore `ne` to everything.
  if (op === "ne") return !values.some((v) => compareValue(def, "eq", v, expected));
  return values.some((v) => compareValue(def, op, v, expected));
}

/**
 * True when `resource` satisfies `filter`. `resource` is a whole resource
 * for a filter from bindFilter, or one element of the multi-valued
 * attribute for the `filter` of a BoundPatchPath ("element" scope).
 */
export function matchesFilter(filter: BoundFilter, resource: JsonObject): boolean {
  switch (filter.kind) {
    case "and":
      return matchesFilter(filter.left, resource) && matchesFilter(filter.right, resource);
    case "or":
      return matchesFilter(filter.left, resource) || matchesFilter(filter.right, resource);
    case "not":
      return !matchesFilter(filter.filter, resource);
    case "present":
      return valuesAt(filter.path, resource).some(isPresentValue);
    case "compare":
      return matchesComparison(filter.path, filter.op, filter.value, resource);
    case "valuePath": {
      // One and the same element must satisfy the whole bracketed filter.
      const container = filter.path.isExtension ? member(resource, filter.path.schemaUrn) : resource;
      if (!isPlainObject(container)) return false;
      const value = member(container, filter.path.attribute.name);
      const elements = Array.isArray(value) ? value : [value];
      return elements.some((element) => isPlainObject(element) && matchesFilter(filter.filter, element));
    }
  }
}
