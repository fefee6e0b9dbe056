/**
 * Binds a parsed filter to a resource type's schema: every attribute path is
 * resolved once (case-insensitively, RFC 7643 §2.1), operator/type
 * combinations are checked, and literals are coerced to the attribute's type,
 * so evaluate.ts and seek.ts never look at the schema again.
 */
import { ScimError } from "../errors.js";
import { findAttribute, resolvePath } from "../schema/resources.js";
import type { AttributeDefinition, ResourceDefinition } from "../schema/types.js";
import type { AttributePath, CompareOperator, CompareValue, FilterNode, PatchPath } from "./ast.js";

/** Where a bound attribute path reads its values. */
export interface BoundPath {
  /**
   * "resource": from the resource (extension attributes under
   * `resource[schemaUrn]`); "element": from one element of a valuePath's
   * attribute, i.e. `element[subAttribute.name]`.
   */
  scope: "resource" | "element";
  /** URN of the schema that defines `attribute` (core URN for common attributes). */
  schemaUrn: string;
  isExtension: boolean;
  /** The top-level attribute (for "element" scope: the valuePath's attribute). */
  attribute: AttributeDefinition;
  /**
   * The sub-attribute read inside `attribute`; always set for "element"
   * scope, and set to the implied `value` for `emails eq "x"`.
   */
  subAttribute?: AttributeDefinition;
}

export type BoundFilter =
  | { kind: "compare"; path: BoundPath; op: CompareOperator; value: CompareValue }
  | { kind: "present"; path: BoundPath }
  | { kind: "and"; left: BoundFilter; right: BoundFilter }
  | { kind: "or"; left: BoundFilter; right: BoundFilter }
  | { kind: "not"; filter: BoundFilter }
  /** `path` names a complex attribute (no subAttribute); `filter` is in "element" scope. */
  | { kind: "valuePath"; path: BoundPath; filter: BoundFilter };

/** A PATCH path bound to the schema (RFC 7644 §3.5.2). */
export interface BoundPatchPath {
  /** The attribute (and, for `name.familyName`, its sub-attribute). */
  path: BoundPath;
  /** The `[...]` filter in "element" scope: match it with `matchesFilter(filter, element)`. */
  filter?: BoundFilter;
  /** The sub-attribute after `].`, e.g. `value` in `emails[type eq "work"].value`. */
  subAttribute?: AttributeDefinition;
}

type Fail = (detail: string) => ScimError;

const ORDERING: ReadonlySet<CompareOperator> = new Set<CompareOperator>(["gt", "ge", "lt", "le"]);
const SUBSTRING: ReadonlySet<CompareOperator> = new Set<CompareOperator>(["co", "sw", "ew"]);

export function formatPath(path: AttributePath): string {
  const head = path.urn !== undefined ? `${path.urn}:${path.attribute}` : path.attribute;
  return path.subAttribute !== undefined ? `${head}.${path.subAttribute}` : head;
}

/** The definition whose type and caseExact govern a comparison on `path`. */
export function comparedAttribute(path: BoundPath): AttributeDefinition {
  return path.subAttribute ?? path.attribute;
}

function bindResourcePath(path: AttributePath, resource: ResourceDefinition, fail: Fail, filtered = true): BoundPath {
  const written = formatPath(path);
  const resolved = resolvePath(resource, written);
  if (!resolved?.attribute) throw fail(`Unknown attribute "${written}" for resource type ${resource.name}`);
  if (filtered) checkFilterable(resolved.subAttribute ?? resolved.attribute, written, fail);
  const bound: BoundPath = {
    scope: "resource",
    schemaUrn: resolved.schema.id,
    isExtension: resolved.isExtension,
    attribute: resolved.attribute,
  };
  if (resolved.subAttribute) bound.subAttribute = resolved.subAttribute;
  return bound;
}

/** A path inside `[...]` names a sub-attribute of the valuePath's attribute. */
function bindElementPath(path: AttributePath, parent: BoundPath, fail: Fail): BoundPath {
  const written = formatPath(path);
  const sub = path.urn === undefined && path.subAttribute === undefined
    ? findAttribute(parent.attribute.subAttributes, path.attribute)
    : undefined;
  if (!sub) throw fail(`Unknown attribute "${written}" inside ${parent.attribute.name}[...]: expected a sub-attribute of ${parent.attribute.name}`);
  checkFilterable(sub, `${parent.attribute.name}.${sub.name}`, fail);
  return { ...parent, scope: "element", subAttribute: sub };
}

/** Never let a filter probe a value that is never returned (RFC 7643 §7: password). */
function checkFilterable(def: AttributeDefinition, written: string, fail: Fail): void {
  if (def.returned === "never" || def.mutability === "writeOnly") {
    throw fail(`Attribute "${written}" cannot be used in a filter`);
  }
}

/**
 * Coerces the literal to the compared attribute's type where an IdP sends it
 * loosely, and refuses operator/type combinations RFC 7644 §3.4.2.2 excludes.
 */
function bindComparison(
  path: BoundPath,
  op: CompareOperator,
  written: CompareValue,
  source: string | undefined,
  fail: Fail,
): { path: BoundPath; value: CompareValue } {
  let target = path;
  let def = comparedAttribute(path);
  const name = path.subAttribute ? `${path.attribute.name}.${path.subAttribute.name}` : path.attribute.name;
  if (def.type === "complex") {
    // `emails eq "a@b"` (PingFederate): a complex attribute without a
    // sub-attribute is compared through its `value` sub-attribute.
    const value = findAttribute(def.subAttributes, "value");
    if (!value) throw fail(`"${name}" is a complex attribute: compare one of its sub-attributes`);
    target = { ...path, subAttribute: value };
    def = value;
  }

  if (written === null) {
    if (op !== "eq" && op !== "ne") throw fail(`"${op}" cannot compare "${name}" with null; use eq, ne or pr`);
    return { path: target, value: null };
  }

  let value: CompareValue = written;
  switch (def.type) {
    case "boolean":
      if (op !== "eq" && op !== "ne") throw fail(`"${op}" is not supported on boolean attribute "${name}"`);
      // Entra sends booleans as "True"/"False" strings.
      if (typeof value === "string" && /^(true|false)$/i.test(value)) value = value.toLowerCase() === "true";
      break;
    case "integer":
    case "decimal":
      if (SUBSTRING.has(op)) throw fail(`"${op}" is not supported on numeric attribute "${name}"`);
      if (typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value))) value = Number(value);
      break;
    case "binary":
      if (ORDERING.has(op)) throw fail(`"${op}" is not supported on binary attribute "${name}"`);
      if (typeof value !== "string" && source !== undefined) value = source;
      break;
    case "dateTime":
      if (typeof value !== "string" && source !== undefined) value = source;
      if (!SUBSTRING.has(op) && (typeof value !== "string" || Number.isNaN(Date.parse(value)))) {
        throw fail(`"${String(value)}" is not a dateTime for "${name}"`);
      }
      break;
    default:
      // string / reference: an unquoted `externalId eq 00123` is the string "00123".
      if (typeof value !== "string" && source !== undefined) value = source;
      if (typeof value !== "string" && (ORDERING.has(op) || SUBSTRING.has(op))) {
        throw fail(`"${op}" on string attribute "${name}" needs a string value`);
      }
  }
  return { path: target, value };
}

function bindNode(node: FilterNode, resource: ResourceDefinition, parent: BoundPath | undefined, fail: Fail): BoundFilter {
  const bindPath = (path: AttributePath): BoundPath =>
    parent ? bindElementPath(path, parent, fail) : bindResourcePath(path, resource, fail);
  switch (node.kind) {
    case "and":
    case "or":
      return {
        kind: node.kind,
        left: bindNode(node.left, resource, parent, fail),
        right: bindNode(node.right, resource, parent, fail),
      };
    case "not":
      return { kind: "not", filter: bindNode(node.filter, resource, parent, fail) };
    case "present":
      return { kind: "present", path: bindPath(node.path) };
    case "compare": {
      const bound = bindComparison(bindPath(node.path), node.op, node.value, node.source, fail);
      return { kind: "compare", path: bound.path, op: node.op, value: bound.value };
    }
    case "valuePath": {
      if (parent) throw fail(`A value filter cannot contain another value filter (${formatPath(node.path)}[...])`);
      const path = bindValuePathAttribute(node.path, resource, fail);
      return { kind: "valuePath", path, filter: bindNode(node.filter, resource, path, fail) };
    }
  }
}

function bindValuePathAttribute(path: AttributePath, resource: ResourceDefinition, fail: Fail): BoundPath {
  const bound = bindResourcePath(path, resource, fail);
  // Single-valued complex is allowed too: Entra removes `manager[value eq "id"]`.
  if (bound.subAttribute || bound.attribute.type !== "complex") {
    throw fail(`"${formatPath(path)}[...]" needs a complex attribute before '['`);
  }
  return bound;
}

/**
 * Resolves every path of `node` against `resource`. Unknown attributes and
 * unsupported operator/type pairs throw `invalidFilter` (RFC 7644 §3.12):
 * answering an unknown attribute with an empty list would make an IdP
 * create a duplicate (it takes "no match" as "absent" and POSTs).
 */
export function bindFilter(node: FilterNode, resource: ResourceDefinition): BoundFilter {
  return bindNode(node, resource, undefined, (detail) => ScimError.invalidFilter(detail));
}

/** Binds a parsed PATCH path; every defect is `invalidPath` (RFC 7644 §3.5.2). */
export function bindPatchPath(patchPath: PatchPath, resource: ResourceDefinition): BoundPatchPath {
  const fail: Fail = (detail) => ScimError.invalidPath(detail);
  if (!patchPath.filter) {
    if (patchPath.subAttribute !== undefined) throw fail(`A sub-attribute after ']' needs a value filter`);
    // No filter: `password` is a legitimate PATCH target, so skip checkFilterable.
    return { path: bindResourcePath(patchPath.path, resource, fail, false) };
  }
  const path = bindValuePathAttribute(patchPath.path, resource, fail);
  const bound: BoundPatchPath = { path, filter: bindNode(patchPath.filter, resource, path, fail) };
  if (patchPath.subAttribute !== undefined) {
    const sub = findAttribute(path.attribute.subAttributes, patchPath.subAttribute);
    if (!sub) throw fail(`Unknown attribute "${path.attribute.name}.${patchPath.subAttribute}"`);
    bound.subAttribute = sub;
  }
  return bound;
}
