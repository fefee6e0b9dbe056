/**
 * Reads a PATCH request body (RFC 7644 §3.5.2) into a list of operations.
 * Tolerant where Entra deviates from the RFC (in both its PATCH dialects):
 * capitalised `op`, missing `schemas`, case-insensitive keys, an empty
 * `Operations` array (the validator's no-op), `Remove` carrying a `value`.
 */
import { isPlainObject } from "../data-types.js";
import { ScimError } from "../errors.js";
import type { PatchPath } from "../filter/ast.js";
import { parsePatchPath } from "../filter/parse.js";
import { PATCH_OP_SCHEMA } from "../schema/urns.js";

export type PatchOpKind = "add" | "replace" | "remove";

export interface PatchOperation {
  op: PatchOpKind;
  path?: PatchPath;
  /** The path as written (trimmed), for error messages and logs. */
  rawPath?: string;
  /**
   * The value as sent. `null` is kept (it means "clear", RFC 7643 §2.5);
   * absent means no `value` member. For `remove` it is Entra's non-RFC
   * "remove only these values" (its default dialect's member removal).
   */
  value?: unknown;
}

const OP_KINDS: ReadonlySet<string> = new Set<PatchOpKind>(["add", "replace", "remove"]);


/**
 * The member whose key matches `name` case-insensitively. Entra asks servers
 * not to require case-sensitive structural elements (Microsoft's SCIM guide for Entra ID), so
 * `operations`/`Operations`, `Op`/`op` are all accepted. An exact match wins.
 */
function member(obj: Record<string, unknown>, name: string): { found: boolean; value: unknown } {
  if (Object.hasOwn(obj, name)) return { found: true, value: obj[name] };
  const lower = name.toLowerCase();
  for (const [key, value] of Object.entries(obj)) {
    if (key.toLowerCase() === lower) return { found: true, value };
  }
  return { found: false, value: undefined };
}

function checkSchemas(body: Record<string, unknown>): void {
  const schemas = member(body, "schemas");
  // Some clients omit `schemas`; the intent is unambiguous, so accept.
  if (!schemas.found || schemas.value === undefined) return;
  if (!Array.isArray(schemas.value) || !schemas.value.every((s) => typeof s === "string")) {
    throw ScimError.invalidSyntax('"schemas" must be an array of schema URNs');
  }
  const want = PATCH_OP_SCHEMA.toLowerCase();
  if (!schemas.value.some((s: string) => s.toLowerCase() === want)) {
    throw ScimError.invalidSyntax(`"schemas" must include ${PATCH_OP_SCHEMA} (RFC 7644 §3.5.2)`);
  }
}

function parseOperation(raw: unknown, index: number): PatchOperation {
  const where = `Operations[${index}]`;
  if (!isPlainObject(raw)) throw ScimError.invalidSyntax(`${where} must be an object`);

  const op = member(raw, "op").value;
  if (typeof op !== "string") throw ScimError.invalidSyntax(`${where}: "op" is required`);
  // Entra sends "Add" / "Replace" / "Remove" (Microsoft's SCIM guide for Entra ID;
  // https://github.com/getsentry/self-hosted/issues/3573 shows what refusing them costs).
  const kind = op.trim().toLowerCase();
  if (!OP_KINDS.has(kind)) {
    throw ScimError.invalidSyntax(`${where}: "op" must be add, replace or remove, not "${op}"`);
  }
  const operation: PatchOperation = { op: kind as PatchOpKind };

  const path = member(raw, "path").value;
  if (path !== undefined && path !== null && typeof path !== "string") {
    throw ScimError.invalidPath(`${where}: "path" must be a string`);
  }
  // An empty path is treated as no path: it cannot name a target.
  const trimmed = typeof path === "string" ? path.trim() : "";
  if (trimmed.length > 0) {
    operation.rawPath = trimmed;
    operation.path = parsePatchPath(trimmed);
  }

  const value = member(raw, "value");
  if (value.found && value.value !== undefined) operation.value = value.value;

  if (operation.op === "remove") {
    // RFC 7644 §3.5.2.2: remove without path is noTarget.
    if (!operation.path) throw ScimError.noTarget(`${where}: "remove" needs a "path"`);
  } else if (!("value" in operation)) {
    // RFC 7644 §3.5.2.1/§3.5.2.3: add and replace carry a value (null is allowed: it clears).
    throw ScimError.invalidSyntax(`${where}: "${operation.op}" needs a "value"`);
  }
  return operation;
}

/** Parses a PatchOp message (RFC 7644 §3.5.2) into its operations, in order. */
export function parsePatchRequest(body: unknown): PatchOperation[] {
  if (!isPlainObject(body)) throw ScimError.invalidSyntax("A PATCH body must be a JSON object");
  checkSchemas(body);
  const operations = member(body, "Operations");
  if (!operations.found) throw ScimError.invalidSyntax('A PATCH body needs an "Operations" array');
  if (!Array.isArray(operations.value)) throw ScimError.invalidSyntax('"Operations" must be an array');
  // An empty array is a valid no-op: Microsoft's SCIM Validator sends one
  // (https://github.com/scimmyjs/scimmy/issues/59).
  return operations.value.map((raw: unknown, index) => parseOperation(raw, index));
}
