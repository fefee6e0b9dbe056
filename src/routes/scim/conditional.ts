import type { Context } from "hono";
import { ScimError } from "../../scim/errors.js";
import { eTagMatches, parseIfMatch, weakETag } from "../../scim/resources/index.js";

/**
 * If-Match on PUT, PATCH and DELETE (RFC 7644 §3.14): a version that does not
 * match → 412. Absent → the write is unconditional (Entra and Okta never send it).
 */
export function checkIfMatch(c: Context, etagToken: string): void {
  const condition = parseIfMatch(c.req.header("if-match"));
  if (condition !== undefined && !eTagMatches(condition, weakETag(etagToken))) {
    throw new ScimError(412, "The resource has changed: its version no longer matches If-Match.");
  }
}
