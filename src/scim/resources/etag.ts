/**
 * Versioning (RFC 7644 §3.14): `meta.version` and the ETag header carry a
 * weak entity tag (RFC 7232 §2.3); If-Match is compared weakly, as §3.14's
 * examples do with W/"…" tags.
 */
import { ScimError } from "../errors.js";

export function weakETag(token: string): string {
  return `W/"${token.replace(/["\\]/g, "")}"`;
}

/**
 * If-Match / If-None-Match header → "*", the listed tags normalised to the
 * weak form (`"abc"` and `W/"abc"` both become `W/"abc"`, so they compare
 * equal to `meta.version`), or undefined when the header is absent/empty.
 * Unquoted tokens are tolerated as if quoted.
 */
export function parseIfMatch(header: string | undefined): string[] | "*" | undefined {
  if (header === undefined) return undefined;
  const trimmed = header.trim();
  if (trimmed === "") return undefined;
  if (trimmed === "*") return "*";
  const tags: string[] = [];
  const re = /\s*(?:W\/)?(?:"([^"]*)"|([^,\s]+))\s*(?:,|$)/giy;
  let m: RegExpExecArray | null;
  while (re.lastIndex < trimmed.length && (m = re.exec(trimmed)) !== null) {
    const token = m[1] ?? m[2];
    if (token !== undefined && token !== "") tags.push(weakETag(token));
  }
  return tags.length > 0 ? tags : undefined;
}

/** Weak comparison of a parsed If-Match against the current `meta.version`. */
export function eTagMatches(condition: string[] | "*", version: string): boolean {
  if (condition === "*") return true;
  const current = parseIfMatch(version);
  const tag = Array.isArray(current) ? current[0] : undefined;
  return tag !== undefined && condition.includes(tag);
}

/**
 * If-Match on PUT, PATCH and DELETE (RFC 7644 §3.14): a version that does not
 * match → 412. Absent → the write is unconditional (Entra and Okta never send it).
 */
export function checkIfMatch(header: string | undefined, etagToken: string): void {
  const condition = parseIfMatch(header);
  if (condition !== undefined && !eTagMatches(condition, weakETag(etagToken))) {
    throw new ScimError(412, "The resource has changed: its version no longer matches If-Match.");
  }
}
