/** Helpers for SCIM's JSON data types (RFC 7643 §2.3), shared by every pure module. */

/** A complex value (RFC 7643 §2.3.8): a JSON object, not an array or null. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * The Unicode-aware case folding of caseExact:false values (RFC 7643 §2.1):
 * what filters compare and what the uniqueness keys store (SQLite's NOCASE
 * folds ASCII only).
 */
export function foldCase(value: string): string {
  return value.normalize("NFKC").toLowerCase();
}

/** An xsd:dateTime (RFC 7643 §2.3.5) from epoch milliseconds. */
export function dateTime(ms: number): string {
  return new Date(ms).toISOString();
}

/**
 * The deepest nesting of objects and arrays in a JSON value, counted without
 * recursion, stopping once past `limit`. SCIM resources and PatchOps nest a
 * handful of levels (extension → complex → sub-attribute); a body nested
 * thousands deep would only exhaust the stack of the recursive engines.
 */
export function exceedsDepth(value: unknown, limit: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== "object" || v === null) continue;
    if (depth > limit) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, depth + 1]);
  }
  return false;
}
