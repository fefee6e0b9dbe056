import type { Context } from "hono";
import { exceedsDepth } from "../../scim/data-types.js";
import { SCIM_CONTENT_TYPE, ScimError } from "../../scim/errors.js";

/** Far above any SCIM resource or PatchOp (a handful of levels), far below what would exhaust the stack. */
const MAX_BODY_DEPTH = 32;
import { parseAttributeList, type AttributeQuery } from "../../scim/projection.js";

/**
 * Reads a SCIM request body. RFC 7644 §3.1 names application/scim+json; Okta
 * posts application/json and some clients text/json, so any JSON-ish (or
 * missing) content type is parsed. Malformed JSON → 400 invalidSyntax.
 */
export async function readScimBody(c: Context): Promise<unknown> {
  const type = (c.req.header("content-type") ?? "").toLowerCase();
  if (type && !/json/.test(type)) {
    throw ScimError.invalidSyntax(`Unsupported content type "${type}"; send application/scim+json.`);
  }
  const text = await c.req.text();
  if (text.trim() === "") throw ScimError.invalidSyntax("The request body is empty.");
  let body: unknown;
  try {
    body = JSON.parse(text) as unknown;
  } catch {
    throw ScimError.invalidSyntax("The request body is not valid JSON.");
  }
  if (exceedsDepth(body, MAX_BODY_DEPTH)) throw ScimError.invalidSyntax(`The request body nests deeper than ${MAX_BODY_DEPTH} levels.`);
  return body;
}

/** A SCIM JSON response (`application/scim+json`). */
export function scimJson(c: Context, body: unknown, status: 200 | 201 = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": SCIM_CONTENT_TYPE, ...headers },
  });
}

/** attributes / excludedAttributes of a single-resource request (RFC 7644 §3.9). */
export function projectionOf(c: Context): AttributeQuery {
  return {
    attributes: parseAttributeList(c.req.query("attributes")),
    excludedAttributes: parseAttributeList(c.req.query("excludedAttributes")),
  };
}
