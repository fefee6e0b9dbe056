import { isPlainObject } from "../data-types.js";
import { ScimError } from "../errors.js";
import { findAttribute, isEnterpriseManager } from "../schema/index.js";
import type { AttributeDefinition } from "../schema/index.js";
import type { ScimObject, ScimValue } from "./types.js";

/** Longest accepted string value; a guard against abuse, far above any IdP attribute. */
export const MAX_STRING_LENGTH = 2048;
/** binary values (x509Certificates, base64 DER) are longer than ordinary strings. */
export const MAX_BINARY_LENGTH = 16384;
/** Most values accepted in one multi-valued attribute (emails, phoneNumbers, …). */
export const MAX_VALUES = 100;


/**
 * RFC 7643 §2.5: null and [] are the same as unassigned. "" too: Entra's
 * SCIM_Null_Update test clears attributes with empty strings, then nulls.
 */
export function isAbsent(value: unknown): boolean {
  return value === undefined || value === null || value === "" || (Array.isArray(value) && value.length === 0);
}

/** How a wrong value is described in an error detail: its JSON type, and the value when it is short. */
function describeJson(value: unknown): string {
  if (Array.isArray(value)) return "an array";
  if (value === null) return "null";
  if (typeof value === "object") return "an object";
  const text = JSON.stringify(value) ?? String(value);
  return `${typeof value === "string" ? "a string" : `a ${typeof value}`} ${text.length > 40 ? `${text.slice(0, 40)}…` : text}`;
}

function wrongType(path: string, expected: string, value: unknown): ScimError {
  return ScimError.invalidValue(`Attribute "${path}" must be ${expected}; got ${describeJson(value)}`);
}

/**
 * Coerces one attribute value (single- or multi-valued) to its definition.
 * Returns undefined when the value is unassigned. `path` names the attribute
 * in error messages (e.g. `emails.value`, `urn:…:enterprise:2.0:User:manager`).
 *
 * A value of the wrong JSON type is refused with invalidValue (RFC 7644
 * §3.12), never converted: a number where a string is declared, a scalar
 * where a multi-valued or complex attribute is declared. Converting would
 * store something the client did not send (5 is not "5" to a caseExact
 * compare; "a@b.c" is not an email object with a type). The shapes IdPs are
 * documented to send stay accepted: see coerceBoolean, coerceNumber and
 * isEnterpriseManager.
 */
export function coerceAttribute(def: AttributeDefinition, value: unknown, path: string = def.name): ScimValue | undefined {
  if (isAbsent(value)) return undefined;
  if (def.multiValued) {
    // One object where an array of objects is expected is wrapped (lenient:
    // some clients send one email object instead of a one-element array);
    // it is still the declared type of one element. A scalar is not.
    if (!Array.isArray(value) && !(def.type === "complex" && isPlainObject(value))) {
      throw wrongType(path, "an array (it is multi-valued)", value);
    }
    const items: unknown[] = Array.isArray(value) ? value : [value];
    if (items.length > MAX_VALUES) throw ScimError.invalidValue(`Attribute "${path}" has more than ${MAX_VALUES} values`);
    const out: ScimValue[] = [];
    for (const item of items) {
      if (Array.isArray(item)) throw ScimError.invalidValue(`Attribute "${path}" must not contain nested arrays`);
      const v = coerceSingle(def, item, path);
      if (v !== undefined) out.push(v);
    }
    if (out.length === 0) return undefined;
    if (def.type === "complex") enforceSinglePrimary(out);
    return out;
  }
  if (Array.isArray(value)) {
    // Entra has sent the single-valued enterprise manager as [{"value": id}].
    if (isEnterpriseManager(def) && value.length === 1) return coerceSingle(def, value[0], path);
    throw wrongType(path, "a single value (it is single-valued)", value);
  }
  return coerceSingle(def, value, path);
}

/** One value of an attribute (an element, for multi-valued ones). */
export function coerceSingle(def: AttributeDefinition, value: unknown, path: string = def.name): ScimValue | undefined {
  if (isAbsent(value)) return undefined;
  switch (def.type) {
    case "string":
    case "reference":
      return checkedString(value, path, MAX_STRING_LENGTH);
    case "binary":
      return checkedString(value, path, MAX_BINARY_LENGTH);
    case "boolean":
      return coerceBoolean(value, path);
    case "integer":
      return coerceNumber(value, path, true);
    case "decimal":
      return coerceNumber(value, path, false);
    case "dateTime":
      return coerceDateTime(value, path);
    case "complex":
      return coerceComplex(def, value, path);
  }
}

function checkedString(value: unknown, path: string, max: number): string {
  if (typeof value !== "string") throw wrongType(path, "a string", value);
  if (value.length > max) throw ScimError.invalidValue(`Attribute "${path}" is longer than ${max} characters`);
  return value;
}

/** Entra sends booleans as "True"/"False" (https://github.com/scimmyjs/scimmy/issues/86). */
export function coerceBoolean(value: unknown, path: string): boolean {
  if (typeof value === "boolean") return value;
  if (typeof value === "string") {
    const lower = value.trim().toLowerCase();
    if (lower === "true") return true;
    if (lower === "false") return false;
  }
  throw wrongType(path, 'a boolean (true, false, "True" or "False")', value);
}

function coerceNumber(value: unknown, path: string, integer: boolean): number {
  let n: number | undefined;
  if (typeof value === "number") n = value;
  // Numeric strings are accepted for the same reason booleans are: Entra's
  // expression mappings produce strings.
  else if (typeof value === "string" && /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/.test(value)) n = Number(value);
  const kind = integer ? "an integer" : "a decimal number";
  if (n === undefined || !Number.isFinite(n)) throw wrongType(path, kind, value);
  if (integer && !Number.isSafeInteger(n)) throw wrongType(path, kind, value);
  return n;
}

/** xsd:dateTime (RFC 7643 §2.3.5), kept as sent so it round-trips. */
const DATE_TIME = /^-?\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?$/;

function coerceDateTime(value: unknown, path: string): string {
  if (typeof value !== "string" || !DATE_TIME.test(value) || Number.isNaN(Date.parse(value))) {
    throw ScimError.invalidValue(`Attribute "${path}" must be an xsd:dateTime such as 2010-01-23T04:56:22Z`);
  }
  return value;
}

function coerceComplex(def: AttributeDefinition, value: unknown, path: string): ScimObject | undefined {
  const subs = def.subAttributes ?? [];
  // Entra sends the enterprise manager as a bare id string (SCIM-SDK #686);
  // that one attribute takes a string as its value (see isEnterpriseManager).
  if (isEnterpriseManager(def) && typeof value === "string") {
    const valueDef = findAttribute(subs, "value");
    if (valueDef) {
      const v = coerceSingle(valueDef, value, `${path}.value`);
      return v === undefined ? undefined : { [valueDef.name]: v };
    }
  }
  if (!isPlainObject(value)) throw wrongType(path, "a complex value (a JSON object)", value);
  const out: ScimObject = {};
  for (const [key, raw] of Object.entries(value)) {
    // Sub-attribute names are case-insensitive (RFC 7643 §2.1: Microsoft's SCIMReferenceCode
    // Postman collection sends "Primary", "Value"); unknown ones are dropped like unknown attributes.
    const sub = findAttribute(subs, key);
    if (!sub) continue;
    // readOnly values sent by a client are ignored (RFC 7643 §2.2), e.g. manager.displayName.
    if (sub.mutability === "readOnly") continue;
    const v = coerceAttribute(sub, raw, `${path}.${sub.name}`);
    if (v !== undefined) out[sub.name] = v;
  }
  return Object.keys(out).length === 0 ? undefined : out;
}

/**
 * RFC 7643 §2.4: "primary" true appears at most once. With several, we keep
 * the first and set the others to false (the server-side fix RFC 7644
 * §3.5.2 prescribes) rather than fail a whole sync with a 400.
 */
function enforceSinglePrimary(values: ScimValue[]): void {
  let seen = false;
  for (const v of values) {
    if (!isPlainObject(v) || v["primary"] !== true) continue;
    if (seen) v["primary"] = false;
    seen = true;
  }
}
