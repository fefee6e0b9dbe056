import { isPlainObject } from "../data-types.js";
import type { ScimObject, ScimValue } from "./types.js";

function canonical(value: ScimValue): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (typeof value === "object") {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(value[k] as ScimValue)}`)
      .join(",")}}`;
  }
  return JSON.stringify(value);
}

/**
 * Whether two docs hold the same values, whatever the order of object keys
 * (a PUT may send `{"type","value"}` where the stored doc has
 * `{"value","type"}`). Array order counts: it is the client's order of values.
 * A write that changes nothing leaves `meta.version` and `meta.lastModified`
 * alone (RFC 7644 §3.14: the version changes when the resource changes).
 */
export function sameDoc(a: ScimValue, b: ScimValue): boolean {
  return canonical(a) === canonical(b);
}

/**
 * The attributes whose values differ between two docs, as change-feed
 * events name them: core attributes by name, extension attributes as
 * "<schema URN>:<name>" (RFC 7644 §3.10), in sorted order.
 */
export function changedAttributes(before: ScimObject, after: ScimObject): string[] {
  const changed = new Set<string>();
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const a = before[key];
    const b = after[key];
    // Extension values are objects keyed by their schema URN.
    if (key.includes(":") && (a === undefined || isPlainObject(a)) && (b === undefined || isPlainObject(b))) {
      const inner = changedAttributes((a ?? {}) as ScimObject, (b ?? {}) as ScimObject);
      for (const name of inner) changed.add(`${key}:${name}`);
    } else if (a === undefined || b === undefined ? a !== b : !sameDoc(a, b)) {
      changed.add(key);
    }
  }
  return [...changed].sort();
}
