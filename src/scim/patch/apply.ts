/**
 * Applies parsed PATCH operations (RFC 7644 §3.5.2) to a stored resource in
 * canonical SCIM JSON. Pure: returns a new document and throws a ScimError
 * on the first failing operation, so the caller discards the whole request
 * (§3.5.2 "atomic"). Accepts what Entra (in both its PATCH dialects) and
 * Okta send. Group `members` are folded separately (member-delta.ts).
 */
import { ScimError } from "../errors.js";
import type { PatchPath } from "../filter/ast.js";
import { bindPatchPath, formatPath, type BoundFilter } from "../filter/bind.js";
import { matchesFilter } from "../filter/evaluate.js";
import {
  declaredExtensions,
  extensionForKey,
  findAttribute,
  resolvePath,
  topLevelAttributes,
  undeclaredSchemaOf,
} from "../schema/resources.js";
import type { AttributeDefinition, ResourceDefinition, SchemaDefinition } from "../schema/types.js";
import {
  coerceComplexValue,
  coerceSimpleValue,
  coerceSubValue,
  isReferenceComplex,
  normaliseReferenceValue,
  sameIdentity,
  sameValue,
  withoutUnassigned,
  type SimpleValue,
  type SubValue,
} from "./coerce-value.js";
import { isMembersPath, membersKey } from "./member-delta.js";
import { isPlainObject } from "../data-types.js";
import type { PatchOpKind, PatchOperation } from "./parse.js";

type Doc = Record<string, unknown>;

/** Where an operation lands, after resolving its path against the schema. */
interface Target {
  schemaId: string;
  isExtension: boolean;
  attribute: AttributeDefinition;
  /** `name.givenName`, `emails.value`, or the sub-attribute after `]` in `emails[…].value`. */
  subAttribute?: AttributeDefinition;
  /** The `[...]` filter, bound in element scope (bind.ts). */
  filter?: BoundFilter;
  /** The path as the client wrote it, for error messages. */
  label: string;
}

// ---------------------------------------------------------------- documents

function containerOf(doc: Doc, t: Target, create: boolean): Doc | undefined {
  if (!t.isExtension) return doc;
  const existing = doc[t.schemaId];
  if (isPlainObject(existing)) return existing;
  if (!create) return undefined;
  const fresh: Doc = {};
  doc[t.schemaId] = fresh;
  return fresh;
}

function elementsOf(container: Doc | undefined, name: string): unknown[] {
  const value = container?.[name];
  if (Array.isArray(value)) return [...value];
  return value === undefined || value === null ? [] : [value];
}

function setList(container: Doc, name: string, list: unknown[]): void {
  // An empty multi-valued attribute is unassigned (RFC 7644 §3.5.2.2).
  if (list.length === 0) delete container[name];
  else container[name] = list;
}

/** Drops null, empty objects and empty arrays: all mean "unassigned" (RFC 7643 §2.5). */
function pruneEmpty(value: unknown): unknown {
  if (Array.isArray(value)) {
    const list = value.map(pruneEmpty).filter((v) => v !== undefined);
    return list.length > 0 ? list : undefined;
  }
  if (isPlainObject(value)) {
    const out: Doc = {};
    for (const [key, v] of Object.entries(value)) {
      const pruned = pruneEmpty(v);
      if (pruned !== undefined) out[key] = pruned;
    }
    return Object.keys(out).length > 0 ? out : undefined;
  }
  return value === null ? undefined : value;
}

/**
 * An element left without its `value` (or with nothing at all) after a
 * removal says nothing: `{"type":"work"}` is not an email. Such elements
 * are dropped (our choice, for Entra's `Remove emails[type eq "work"].value`).
 */
function isHollow(element: unknown, attr: AttributeDefinition): boolean {
  if (!isPlainObject(element) || Object.keys(element).length === 0) return true;
  const valueDef = findAttribute(attr.subAttributes, "value");
  return valueDef !== undefined && element[valueDef.name] === undefined;
}

/**
 * RFC 7643 §2.4: at most one element may have `primary: true`; the one
 * just written wins and the others are set to false (RFC 7644 §3.5.2).
 */
function keepOnePrimary(list: unknown[], written: readonly unknown[], attr: AttributeDefinition): void {
  const primaryDef = findAttribute(attr.subAttributes, "primary");
  if (!primaryDef) return;
  const winner = [...written].reverse().find((el) => isPlainObject(el) && el[primaryDef.name] === true);
  if (!winner) return;
  for (const el of list) {
    if (el !== winner && isPlainObject(el) && el[primaryDef.name] === true) el[primaryDef.name] = false;
  }
}

// ---------------------------------------------------------------- values

function coerceElement(value: unknown, attr: AttributeDefinition, label: string): unknown {
  if (attr.type !== "complex") return coerceSimpleValue(value, attr, label);
  if (value === null || value === "") return undefined;
  return withoutUnassigned(coerceComplexValue(value, attr, label));
}

/** The values of an add/replace on a multi-valued attribute; one bare value counts as a list of one. */
function coerceElements(value: unknown, attr: AttributeDefinition, label: string): unknown[] {
  if (value === null || value === undefined) return [];
  const list = Array.isArray(value) ? value : [value];
  return list.map((v: unknown) => coerceElement(v, attr, label)).filter((v) => v !== undefined);
}

/** A single complex value for a valuePath without sub-attribute; `[{…}]` is accepted for one object. */
function coerceOneComplex(value: unknown, attr: AttributeDefinition, label: string): Record<string, SubValue | undefined> {
  const one = Array.isArray(value) && value.length === 1 ? (value[0] as unknown) : value;
  return coerceComplexValue(one, attr, label);
}

function mergeInto(target: Doc, patch: Record<string, SubValue | undefined>): void {
  for (const [key, v] of Object.entries(patch)) {
    if (v === undefined) delete target[key];
    else target[key] = v;
  }
}

/**
 * The sub-attribute values an element must have to match `filter`: the
 * `eq` comparisons of a pure conjunction (`type eq "work"`, `type eq "work"
 * and primary eq true`). Undefined when the filter is anything else: then
 * no element can be created from it.
 */
function equalityConstraints(filter: BoundFilter): Record<string, SimpleValue> | undefined {
  switch (filter.kind) {
    case "compare": {
      const sub = filter.path.subAttribute;
      if (filter.op !== "eq" || filter.value === null || !sub || sub.multiValued) return undefined;
      return { [sub.name]: filter.value };
    }
    case "and": {
      const left = equalityConstraints(filter.left);
      const right = equalityConstraints(filter.right);
      if (!left || !right) return undefined;
      for (const [key, v] of Object.entries(right)) if (key in left && left[key] !== v) return undefined;
      return { ...left, ...right };
    }
    default:
      return undefined;
  }
}

// ---------------------------------------------------------------- targets

function checkWritable(t: Target): void {
  const readOnly = t.attribute.mutability === "readOnly" ? t.attribute : t.subAttribute?.mutability === "readOnly" ? t.subAttribute : undefined;
  if (readOnly) throw ScimError.mutability(`"${t.label}" is read-only (RFC 7643 §7)`);
}

/**
 * The extension that alone defines an unqualified top-level name such as
 * `manager`: Microsoft's own example PATCHes `"path":"manager"` without the
 * enterprise URN (Microsoft's SCIM guide for Entra ID, example 5). Core and common
 * attributes win; a name defined by several extensions stays unresolved.
 */
function soleExtensionFor(resource: ResourceDefinition, written: string): SchemaDefinition | undefined {
  if (written.toLowerCase().startsWith("urn:")) return undefined;
  const head = written.split(".")[0] ?? written;
  if (findAttribute(topLevelAttributes(resource), head)) return undefined;
  const owners = resource.extensions.filter((s) => findAttribute(s.attributes, head) !== undefined);
  return owners.length === 1 ? owners[0] : undefined;
}

function resolveLenient(resource: ResourceDefinition, written: string): ReturnType<typeof resolvePath> {
  const owner = soleExtensionFor(resource, written);
  return resolvePath(resource, owner ? `${owner.id}:${written}` : written);
}

type Resolved = { kind: "attribute"; target: Target } | { kind: "extension"; schema: SchemaDefinition };

/**
 * A path or path-less key naming a schema the resource does not declare
 * (`urn:…:acme:2.0:User:costCenter`) names no attribute: invalidPath, as
 * RFC 7644 §3.5.2 prescribes for an unknown path, with the URN and the
 * declared extensions in the detail so an admin sees what to change.
 */
function refuseUndeclared(resource: ResourceDefinition, written: string, label: string): void {
  const urn = undeclaredSchemaOf(resource, written);
  if (urn === undefined) return;
  throw ScimError.invalidPath(
    `"${label}" names the schema "${urn}", which the ${resource.name} resource type does not declare; declared extensions: ${declaredExtensions(resource)}`,
  );
}

function resolveOperationPath(path: PatchPath, label: string, resource: ResourceDefinition): Resolved {
  refuseUndeclared(resource, formatPath(path.path), label);
  if (path.filter) {
    const owner = path.path.urn === undefined ? soleExtensionFor(resource, path.path.attribute) : undefined;
    const bound = bindPatchPath(owner ? { ...path, path: { ...path.path, urn: owner.id } } : path, resource);
    const target: Target = {
      schemaId: bound.path.schemaUrn,
      isExtension: bound.path.isExtension,
      attribute: bound.path.attribute,
      label,
    };
    if (bound.filter) target.filter = bound.filter;
    if (bound.subAttribute) target.subAttribute = bound.subAttribute;
    return { kind: "attribute", target };
  }
  if (path.subAttribute !== undefined) throw ScimError.invalidPath(`"${label}": a sub-attribute after ']' needs a filter`);
  // formatPath restores the path as written, so a bare extension URN
  // (`urn:…:enterprise:2.0:User`) resolves to the whole extension.
  const resolved = resolveLenient(resource, formatPath(path.path));
  if (!resolved) throw ScimError.invalidPath(`Unknown attribute path "${label}"`);
  if (!resolved.attribute) return { kind: "extension", schema: resolved.schema };
  const target: Target = {
    schemaId: resolved.schema.id,
    isExtension: resolved.isExtension,
    attribute: resolved.attribute,
    label,
  };
  if (resolved.subAttribute) target.subAttribute = resolved.subAttribute;
  return { kind: "attribute", target };
}

// ---------------------------------------------------------------- operations

function applySimple(container: Doc, t: Target, kind: PatchOpKind, value: unknown): void {
  const name = t.attribute.name;
  if (kind === "remove") {
    // Entra may send Remove with a value on a single-valued path: remove means remove
    // (https://github.com/AzureAD/SCIMReferenceCode/pull/87 fixed code that set it instead).
    delete container[name];
    return;
  }
  // add on a single-valued attribute = set (RFC 7644 §3.5.2.1; Entra sends "Add" for a department that is already set).
  const v = coerceSimpleValue(value, t.attribute, t.label);
  if (v === undefined) delete container[name];
  else container[name] = v;
}

function applyComplex(container: Doc, t: Target, kind: PatchOpKind, value: unknown): void {
  const attr = t.attribute;
  if (kind === "remove" || value === null || value === "") {
    delete container[attr.name];
    return;
  }
  if (isReferenceComplex(attr)) {
    // manager: bare id (Entra), {value} or [{value,$ref}] (Microsoft's example). The
    // whole reference is replaced: a stale $ref must not outlive its id.
    const normal = normaliseReferenceValue(value, t.label);
    const coerced = normal === null ? undefined : withoutUnassigned(coerceComplexValue(normal, attr, t.label));
    const valueDef = findAttribute(attr.subAttributes, "value");
    if (!coerced || (valueDef && coerced[valueDef.name] === undefined)) delete container[attr.name];
    else container[attr.name] = coerced;
    return;
  }
  // add and replace on a complex attribute both merge: given sub-attributes
  // are set, others kept (RFC 7644 §3.5.2.1, §3.5.2.3).
  const patch = coerceComplexValue(value, attr, t.label);
  const current = container[attr.name];
  const next: Doc = isPlainObject(current) ? { ...current } : {};
  mergeInto(next, patch);
  container[attr.name] = next;
}

function applyMultiValued(container: Doc, t: Target, kind: PatchOpKind, value: unknown): void {
  const attr = t.attribute;
  const list = elementsOf(container, attr.name);
  if (kind === "remove") {
    if (value === undefined || value === null) {
      delete container[attr.name];
      return;
    }
    // Entra: Remove + value removes only the given values, never the whole attribute.
    const given: unknown[] = Array.isArray(value) ? value : [value];
    setList(container, attr.name, list.filter((el) => !given.some((g) => sameIdentity(el, g, attr))));
    return;
  }
  const items = coerceElements(value, attr, t.label);
  if (kind === "replace") {
    // RFC 7644 §3.5.2.3: replace without filter replaces the whole set.
    setList(container, attr.name, items);
    keepOnePrimary(items, items, attr);
    return;
  }
  // add appends; a value already present is not duplicated (RFC 7644 §3.5.2.1).
  // An element with the same value and type is updated in place instead.
  const written: unknown[] = [];
  for (const item of items) {
    if (list.some((el) => sameValue(el, item, attr))) continue;
    const twin = attr.type === "complex" ? list.find((el) => sameKey(el, item, attr)) : undefined;
    if (twin && isPlainObject(twin) && isPlainObject(item)) {
      Object.assign(twin, item);
      written.push(twin);
    } else {
      list.push(item);
      written.push(item);
    }
  }
  keepOnePrimary(list, written, attr);
  setList(container, attr.name, list);
}

/** Same `value` and same `type`: the same entry of a multi-valued complex attribute. */
function sameKey(element: unknown, item: unknown, attr: AttributeDefinition): boolean {
  const valueDef = findAttribute(attr.subAttributes, "value");
  if (!valueDef || !isPlainObject(element) || !isPlainObject(item) || item[valueDef.name] === undefined) return false;
  if (!sameIdentity(element, { value: item[valueDef.name] }, attr)) return false;
  const typeDef = findAttribute(attr.subAttributes, "type");
  if (!typeDef) return true;
  const a = element[typeDef.name];
  const b = item[typeDef.name];
  return a === b || (typeof a === "string" && typeof b === "string" && a.toLowerCase() === b.toLowerCase());
}

/** `name.givenName`, `manager.value`, `emails.value` (no filter: every element). */
function applySubAttribute(container: Doc, t: Target, sub: AttributeDefinition, kind: PatchOpKind, value: unknown): void {
  const attr = t.attribute;
  const v = kind === "remove" ? undefined : coerceSubValue(value, sub, t.label);
  if (!attr.multiValued) {
    const current = container[attr.name];
    if (isReferenceComplex(attr) && sub.name.toLowerCase() === "value") {
      // A new manager id starts a new reference; clearing the id clears the manager.
      if (v === undefined) delete container[attr.name];
      else container[attr.name] = { [sub.name]: v };
      return;
    }
    const next: Doc = isPlainObject(current) ? { ...current } : {};
    if (v === undefined) delete next[sub.name];
    else next[sub.name] = v;
    container[attr.name] = next;
    return;
  }
  const list = elementsOf(container, attr.name);
  if (list.length === 0) {
    if (v !== undefined) container[attr.name] = [{ [sub.name]: v }];
    return;
  }
  setSubOnElements(container, attr, list, list, sub, v);
}

/** Sets (or clears) `sub` on the given elements of `list`, dropping elements left hollow. */
function setSubOnElements(
  container: Doc,
  attr: AttributeDefinition,
  list: unknown[],
  targets: readonly unknown[],
  sub: AttributeDefinition,
  v: SubValue | undefined,
): void {
  const next = list.map((el) => {
    if (!targets.includes(el) || !isPlainObject(el)) return el;
    const copy: Doc = { ...el };
    if (v === undefined) delete copy[sub.name];
    else copy[sub.name] = v;
    return copy;
  });
  const kept = next.filter((el, i) => !(targets.includes(list[i]) && v === undefined && isHollow(el, attr)));
  const written = v !== undefined ? next.filter((_, i) => targets.includes(list[i])) : [];
  keepOnePrimary(kept, written, attr);
  setList(container, attr.name, kept);
}

/** `emails[type eq "work"]`, `emails[type eq "work"].value`, `manager[value eq "id"]`. */
function applyFiltered(doc: Doc, t: Target, filter: BoundFilter, kind: PatchOpKind, value: unknown): void {
  const attr = t.attribute;
  const sub = t.subAttribute;
  const container = containerOf(doc, t, kind !== "remove");

  if (!attr.multiValued) {
    // Only Entra's `Remove manager[value eq "id"]` filters a single-valued
    // attribute (https://github.com/thomaspoignant/scim-patch/issues/453): remove it if it matches.
    if (kind !== "remove" || !isReferenceComplex(attr)) {
      throw ScimError.invalidPath(`"${t.label}": a filter needs a multi-valued attribute`);
    }
    const current = container?.[attr.name];
    if (!container || !isPlainObject(current) || !matchesFilter(filter, current)) return;
    if (sub && sub.name.toLowerCase() !== "value") {
      const next: Doc = { ...current };
      delete next[sub.name];
      container[attr.name] = next;
    } else {
      delete container[attr.name];
    }
    return;
  }
  if (!container) return; // remove on an absent extension: nothing to do

  const list = elementsOf(container, attr.name);
  const matched = list.filter((el) => isPlainObject(el) && matchesFilter(filter, el));

  if (kind === "remove") {
    // No match: nothing to remove. Succeeding keeps Entra's retries
    // idempotent (RFC 7644 leaves remove-without-match open).
    if (matched.length === 0) return;
    // Remove with a value on a filtered path still just removes (https://github.com/AzureAD/SCIMReferenceCode/pull/87).
    if (sub) setSubOnElements(container, attr, list, matched, sub, undefined);
    else setList(container, attr.name, list.filter((el) => !matched.includes(el)));
    return;
  }

  if (sub) {
    const v = coerceSubValue(value, sub, t.label);
    if (matched.length > 0) {
      setSubOnElements(container, attr, list, matched, sub, v);
      return;
    }
    if (v === undefined) return;
    // No match: Entra expects the element to be created from the filter's
    // eq constraints, keeping the other elements: an upsert where RFC 7644 would answer noTarget
    // (https://github.com/Captain-P-Goldfish/scim-for-keycloak/issues/73, https://github.com/Captain-P-Goldfish/SCIM-SDK/issues/668).
    const created = { ...upsertBase(filter, t), [sub.name]: v };
    list.push(created);
    keepOnePrimary(list, [created], attr);
    setList(container, attr.name, list);
    return;
  }

  const patch = value === null ? undefined : coerceOneComplex(value, attr, t.label);
  if (matched.length > 0) {
    const constraints = equalityConstraints(filter) ?? {};
    const written: unknown[] = [];
    const next = list
      .map((el) => {
        if (!matched.includes(el) || !isPlainObject(el)) return el;
        if (!patch) return undefined; // replace/add with null clears the matched elements
        // add merges into the element; replace replaces it, keeping what the
        // filter pinned so the element still answers to the same path.
        const base: Doc = kind === "add" ? { ...el } : { ...constraints };
        mergeInto(base, patch);
        written.push(base);
        return base;
      })
      .filter((el) => el !== undefined && !(isPlainObject(el) && Object.keys(el).length === 0));
    keepOnePrimary(next, written, attr);
    setList(container, attr.name, next);
    return;
  }
  if (!patch || !withoutUnassigned(patch)) return; // nothing to create from an all-null value
  const created: Doc = { ...upsertBase(filter, t) };
  mergeInto(created, patch);
  list.push(created);
  keepOnePrimary(list, [created], attr);
  setList(container, attr.name, list);
}

function upsertBase(filter: BoundFilter, t: Target): Record<string, SimpleValue> {
  const constraints = equalityConstraints(filter);
  // RFC 7644 §3.5.2.3: no match is noTarget; the upsert exception only works
  // when the filter says what the new element is.
  if (!constraints) throw ScimError.noTarget(`"${t.label}" matches no value and its filter cannot describe a new one`);
  return constraints;
}

function applyToTarget(doc: Doc, t: Target, kind: PatchOpKind, value: unknown): void {
  // writeOnly (password) is accepted and never stored (RFC 7643 §7; Okta sends one on create and for password sync).
  if (t.attribute.mutability === "writeOnly") return;
  if (t.filter) {
    applyFiltered(doc, t, t.filter, kind, value);
    return;
  }
  const container = containerOf(doc, t, kind !== "remove");
  if (!container) return;
  if (t.subAttribute) applySubAttribute(container, t, t.subAttribute, kind, value);
  else if (t.attribute.multiValued) applyMultiValued(container, t, kind, value);
  else if (t.attribute.type === "complex") applyComplex(container, t, kind, value);
  else applySimple(container, t, kind, value);
}

function rejectMembers(label: string): never {
  throw ScimError.invalidPath(`"${label}": group members are applied through foldMemberOperations, not applyPatch`);
}

/** An extension object (`{"urn:…:enterprise:2.0:User": {...}}` or a bare URN path): each key is an attribute of it. */
function applyExtensionObject(doc: Doc, schema: SchemaDefinition, kind: PatchOpKind, value: unknown, resource: ResourceDefinition): void {
  if (kind === "remove" || value === null) {
    delete doc[schema.id];
    return;
  }
  if (!isPlainObject(value)) throw ScimError.invalidValue(`"${schema.id}" expects an object of its attributes`);
  for (const [key, v] of Object.entries(value)) {
    const resolved = resolvePath(resource, `${schema.id}:${key}`);
    if (!resolved?.attribute) throw ScimError.invalidPath(`Unknown attribute "${key}" in ${schema.id}`);
    applyValueEntry(doc, resource, resolved.schema, resolved.attribute, resolved.subAttribute, `${schema.id}:${key}`, kind, v);
  }
}

/** One attribute of a path-less value (or of an extension object). */
function applyValueEntry(
  doc: Doc,
  resource: ResourceDefinition,
  schema: SchemaDefinition,
  attribute: AttributeDefinition,
  subAttribute: AttributeDefinition | undefined,
  label: string,
  kind: PatchOpKind,
  value: unknown,
): void {
  // readOnly attributes in a value are ignored, not rejected: Okta sends
  // `id` in its group rename (Okta's SCIM 2.0 guide; RFC 7643 §7).
  if (attribute.mutability === "readOnly" || subAttribute?.mutability === "readOnly") return;
  const target: Target = { schemaId: schema.id, isExtension: schema !== resource.core, attribute, label };
  if (subAttribute) target.subAttribute = subAttribute;
  applyToTarget(doc, target, kind, value);
}

/**
 * Path-less add/replace (RFC 7644 §3.5.2.1, §3.5.2.3): `value` is an object
 * of attributes. Keys are case-insensitive; Entra's flag dialect also sends
 * dotted (`name.givenName`) and URN-qualified keys, which RFC 7644 does not define
 * (Microsoft's page on Entra's SCIM 2.0 compliance issues, `aadOptscim062020`).
 */
function applyPathless(doc: Doc, kind: PatchOpKind, value: unknown, resource: ResourceDefinition): void {
  if (!isPlainObject(value)) throw ScimError.invalidValue("An operation without path needs an object value (RFC 7644 §3.5.2.1)");
  if (resource.name === "Group" && membersKey(value) !== undefined) rejectMembers("members");
  for (const [key, v] of Object.entries(value)) {
    if (key.toLowerCase() === "schemas") continue; // message metadata, not an attribute
    const extension = extensionForKey(resource, key);
    if (extension) {
      applyExtensionObject(doc, extension, kind, v, resource);
      continue;
    }
    refuseUndeclared(resource, key, key);
    const resolved = resolveLenient(resource, key);
    if (!resolved) throw ScimError.invalidPath(`Unknown attribute "${key}"`);
    if (!resolved.attribute) {
      applyExtensionObject(doc, resolved.schema, kind, v, resource);
      continue;
    }
    applyValueEntry(doc, resource, resolved.schema, resolved.attribute, resolved.subAttribute, key, kind, v);
  }
}

function applyOperation(doc: Doc, op: PatchOperation, resource: ResourceDefinition): void {
  if (!op.path) {
    if (op.op === "remove") throw ScimError.noTarget('"remove" needs a "path" (RFC 7644 §3.5.2.2)');
    applyPathless(doc, op.op, op.value, resource);
    return;
  }
  const label = op.rawPath ?? formatPath(op.path.path);
  if (isMembersPath(op, resource)) rejectMembers(label);
  const resolved = resolveOperationPath(op.path, label, resource);
  if (resolved.kind === "extension") {
    applyExtensionObject(doc, resolved.schema, op.op, op.value, resource);
    return;
  }
  checkWritable(resolved.target);
  applyToTarget(doc, resolved.target, op.op, op.value);
}

/** Required attributes (userName, Group displayName) cannot be patched away (RFC 7643 §2.2). */
function checkRequired(before: Doc, after: Doc, resource: ResourceDefinition): void {
  for (const schema of [resource.core, ...resource.extensions]) {
    const isExtension = schema !== resource.core;
    const was = isExtension ? before[schema.id] : before;
    const now = isExtension ? after[schema.id] : after;
    for (const attr of schema.attributes) {
      if (!attr.required) continue;
      const had = isPlainObject(was) && was[attr.name] !== undefined;
      const has = isPlainObject(now) && now[attr.name] !== undefined;
      if (had && !has) throw ScimError.invalidValue(`"${attr.name}" is required and cannot be removed or emptied`);
    }
  }
}

/**
 * Applies `ops` in order to a copy of `doc` and returns it; `doc` is never
 * modified. Throws the first ScimError (invalidPath, invalidValue,
 * mutability, noTarget) and then nothing is applied (RFC 7644 §3.5.2).
 */
export function applyPatch(doc: Record<string, unknown>, ops: PatchOperation[], resource: ResourceDefinition): Record<string, unknown> {
  const work = structuredClone(doc);
  for (const op of ops) applyOperation(work, op, resource);
  const result = (pruneEmpty(work) ?? {}) as Doc;
  checkRequired(doc, result, resource);
  return result;
}
