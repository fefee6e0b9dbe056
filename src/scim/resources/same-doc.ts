import type { ScimValue } from "./types.js";

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
